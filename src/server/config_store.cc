#include "server/config_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace allot {
namespace {

Status Failed(const std::string& path, std::string_view what) {
  return FailedPrecondition(path + ": cannot be written (" + std::string(what) + ": " +
                            std::strerror(errno) + "); nothing changed");
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailedPrecondition(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteConfigFile(const std::string& path, std::string_view text) {
  mode_t mode = 0644;
  struct stat existing {};
  if (stat(path.c_str(), &existing) == 0) mode = existing.st_mode & 07777;
  // The pid keeps two servers on one file from sharing a temporary name.
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Failed(path, "create " + temporary);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status failed = Failed(path, "write");
      close(fd);
      unlink(temporary.c_str());
      return failed;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    Status failed = Failed(path, "fsync");
    close(fd);
    unlink(temporary.c_str());
    return failed;
  }
  close(fd);
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    Status failed = Failed(path, "rename");
    unlink(temporary.c_str());
    return failed;
  }
  // The rename is durable once the directory is.
  int dir = open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return Status::Ok();
}

}  // namespace allot
