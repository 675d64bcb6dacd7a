// Child processes for tests (see process.hpp): fork/exec with pipes, poll-based reading; temp
// dirs and files.
#include "process.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace shensu::testing
{
namespace
{
    [[noreturn]] void fail(const std::string& what)
    {
        throw std::runtime_error(what + ": " + std::strerror(errno));
    }

    int decodeStatus(int status)
    {
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return -1;
    }
} // namespace

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> env,
    std::optional<std::filesystem::path> stderrPath)
{
    if (argv.empty()) throw std::invalid_argument("Process: empty argv");
    std::array<int, 2> in {}, out {};
    if (pipe2(in.data(), O_CLOEXEC) != 0 || pipe2(out.data(), O_CLOEXEC) != 0) fail("pipe2");

    std::vector<std::string> envStrings;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        if (!env.contains(name)) envStrings.push_back(entry);
    }
    for (const auto& [name, value] : env)
        envStrings.push_back(name + "=" + value);
    std::vector<char*> envp, args;
    for (auto& s : envStrings)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    for (auto& s : argv)
        args.push_back(s.data());
    args.push_back(nullptr);

    pid_ = fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        if (stderrPath) {
            const int fd = open(stderrPath->c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) dup2(fd, STDERR_FILENO);
        }
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
}

Process::~Process()
{
    if (stdin_ >= 0) close(stdin_);
    if (!status_) {
        signal(SIGTERM);
        if (!wait(std::chrono::seconds(3))) {
            signal(SIGKILL);
            wait(std::chrono::seconds(3));
        }
    }
    if (stdout_ >= 0) close(stdout_);
}

void Process::writeLine(const std::string& line)
{
    const std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
        const auto n = ::write(stdin_, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write to child");
        }
        done += static_cast<std::size_t>(n);
    }
}

void Process::closeStdin()
{
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
}

std::optional<std::string> Process::readLine(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p { stdout_, POLLIN, 0 };
        const int r = poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        std::array<char, 4096> chunk {};
        const auto n = ::read(stdout_, chunk.data(), chunk.size());
        if (n <= 0) {
            if (buffer_.empty()) return std::nullopt;
            std::string rest;
            rest.swap(buffer_);
            return rest;
        }
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    }
}

void Process::signal(int sig)
{
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout)
{
    if (status_) return status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            status_ = decodeStatus(status);
            return status_;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        usleep(10000);
    }
}

CommandResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout)
{
    if (argv.empty()) throw std::invalid_argument("run: empty argv");
    std::array<int, 2> out {}, err {};
    if (pipe2(out.data(), O_CLOEXEC) != 0) fail("pipe2");
    if (pipe2(err.data(), O_CLOEXEC) != 0) fail("pipe2");
    std::vector<std::string> args(argv);
    std::vector<char*> argp;
    for (auto& a : args)
        argp.push_back(a.data());
    argp.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        const int devNull = open("/dev/null", O_RDONLY);
        if (devNull >= 0) dup2(devNull, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execvp(argp[0], argp.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);

    // Both pipes are drained together: a command that writes a lot to one cannot block on the
    // other.
    CommandResult result;
    std::array<pollfd, 2> fds { pollfd { out[0], POLLIN, 0 }, pollfd { err[0], POLLIN, 0 } };
    std::array<std::string*, 2> sinks { &result.output, &result.errors };
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timedOut = false;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timedOut = true;
            break;
        }
        const int r = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail("poll");
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            std::array<char, 4096> chunk {};
            const auto n = ::read(fds[i].fd, chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            } else {
                sinks[i]->append(chunk.data(), static_cast<std::size_t>(n));
            }
        }
    }
    for (const auto& p : fds) {
        if (p.fd >= 0) close(p.fd);
    }
    if (timedOut) ::kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    result.exitCode = timedOut ? -1 : decodeStatus(status);
    if (timedOut) result.errors += "\n(killed after " + std::to_string(timeout.count()) + " ms)\n";
    return result;
}

TempDir::TempDir()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "shensu-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) fail("mkdtemp");
    path_ = pattern;
}

TempDir::~TempDir()
{
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path binDir()
{
    const char* dir = std::getenv("SHENSU_BIN");
    if (dir == nullptr)
        throw std::runtime_error("SHENSU_BIN is not set (run the tests through ctest)");
    return dir;
}

std::filesystem::path sourceDir()
{
    const char* dir = std::getenv("SHENSU_SOURCE_DIR");
    if (dir == nullptr)
        throw std::runtime_error("SHENSU_SOURCE_DIR is not set (run the tests through ctest)");
    return dir;
}

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeFile(const std::filesystem::path& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

bool fileContains(const std::filesystem::path& path, const std::string& needle)
{
    return std::filesystem::exists(path) && readFile(path).find(needle) != std::string::npos;
}

} // namespace shensu::testing
