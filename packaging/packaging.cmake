# Install rules and the Debian package (CPack): `make package` builds
# build/allot_<version>_<arch>.deb. Included at the end of CMakeLists.txt.
# What goes where, and the service, are described in docs/operations.md
# ("Install from the package"); packaging/test_install.sh installs the .deb
# into an empty root and starts the service the way its unit says.
set(ALLOT_PACKAGING_DIR ${CMAKE_SOURCE_DIR}/packaging)
# cpack (and cmake --install) install what is built, without building `all`
# first: `make package` builds the two binaries, and the package test runs
# after the build, so packaging never compiles the tests and benchmarks.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS allot allot-fake-upstream RUNTIME DESTINATION bin)
# Absolute destinations: the package installs to /usr, but the conffile and the
# unit live outside it.
install(FILES ${ALLOT_PACKAGING_DIR}/allot.yaml DESTINATION /etc/allot)
install(FILES ${ALLOT_PACKAGING_DIR}/allot.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION share/doc/allot)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION share/doc/allot FILES_MATCHING
        PATTERN "*.md")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/ DESTINATION share/doc/allot/examples)
# Man pages are installed gzip-compressed (Debian policy); -n leaves the name
# and time out, so the same page gives the same bytes.
set(ALLOT_MAN_PAGE_GZ ${CMAKE_BINARY_DIR}/packaging/allot.1.gz)
install(CODE "
  file(MAKE_DIRECTORY \"${CMAKE_BINARY_DIR}/packaging\")
  execute_process(COMMAND gzip -9nc \"${ALLOT_PACKAGING_DIR}/allot.1\"
                  OUTPUT_FILE \"${ALLOT_MAN_PAGE_GZ}\" COMMAND_ERROR_IS_FATAL ANY)")
install(FILES ${ALLOT_MAN_PAGE_GZ} DESTINATION share/man/man1)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME allot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "allot maintainers <allot@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compute allocator for AI agents and workloads")
# The extended description; CPack puts the summary above it, indents each
# line and writes the empty one as " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "allot grants leases on GPU capacity (whole GPUs, fractions, MIG slices) and
CPU to tenants with quotas, priority classes, fair sharing, preemption and
budgets, and meters and prices every lease. The package runs it as a service
(allot.service: allot serve with an HTTP API, a SQLite journal and an
OpenAI-compatible gateway); the same allot binary is its command-line client
and a trace-driven simulator (allot sim).

It also ships allot-fake-upstream, a small OpenAI-style model server that
answers with generated text, to try the gateway without a real model.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from dpkg-shlibdeps (dpkg-dev); useradd and groupadd
# (passwd) for the postinst; the system's time zones for budget periods.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${ALLOT_PACKAGING_DIR}/debian/postinst ${ALLOT_PACKAGING_DIR}/debian/prerm
    ${ALLOT_PACKAGING_DIR}/debian/postrm ${ALLOT_PACKAGING_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)

# The package installed into an empty root, its unit verified and the service
# started as the unit says (packaging/test_install.sh). Skipped (77) when not
# root or a tool is missing.
add_test(NAME package_install
  COMMAND ${ALLOT_PACKAGING_DIR}/test_install.sh ${CMAKE_BINARY_DIR}
    ${CMAKE_BINARY_DIR}/package_install_test)
set_tests_properties(package_install PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
