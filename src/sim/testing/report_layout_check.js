// Run by report_in_chromium.sh at the end of a sample report (added as an
// inline script to a copy of the page; the report itself has no scripts).
// Checks that every cell naming a policy (data-policy="NAME") lies inside
// the window and is not clipped by a scrolled container (a table wider than
// its box), and writes the verdict into a new pre element, #layout-check, which
// Chromium's --dump-dom prints:
//   width=1280 policies=8 cells=120 clipped=0 hidden=0 [NAME@LEFT-RIGHT ...]
// (clipped: tables wider than their box, some column scrolled out of sight).
(function () {
  const width = document.documentElement.clientWidth;
  const cells = Array.from(document.querySelectorAll('[data-policy]'));
  const policies = new Set(cells.map((cell) => cell.dataset.policy));
  const hidden = [];
  for (const cell of cells) {
    const box = cell.getBoundingClientRect();
    let left = 0;
    let right = width;
    for (let parent = cell.parentElement; parent; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX === 'visible') continue;
      const clip = parent.getBoundingClientRect();
      left = Math.max(left, clip.left);
      right = Math.min(right, clip.right);
    }
    if (box.width === 0 || box.left < left - 0.5 || box.right > right + 0.5) {
      hidden.push(cell.dataset.policy + '@' + Math.round(box.left) + '-' + Math.round(box.right));
    }
  }
  // Tables wider than their box (a column scrolled out of sight).
  const clipped = Array.from(document.querySelectorAll('.table-wrap'))
      .filter((wrap) => wrap.offsetWidth > 0 && wrap.scrollWidth > wrap.clientWidth + 1).length;
  const out = document.createElement('pre');
  out.id = 'layout-check';
  out.textContent = 'width=' + width + ' policies=' + policies.size + ' cells=' + cells.length +
      ' clipped=' + clipped + ' hidden=' + hidden.length + (hidden.length ? ' ' + hidden.slice(0, 20).join(' ') : '');
  document.body.appendChild(out);
})();
