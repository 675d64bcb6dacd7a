// Test support implementation: fork/exec of helpers and of shensu-central, the PKI fixture, file
// helpers.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shensu::test
{

TempDir::TempDir()
{
    std::string pattern = (fs::temp_directory_path() / "shensu-net-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir()
{
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

const fs::path& pkiDir()
{
    static TempDir dir;
    static const bool made = [] {
        const auto r = run({ SHENSU_MAKE_TEST_PKI, dir.path().string() });
        if (r.exitCode != 0) throw std::runtime_error("make-test-pki failed: " + r.output);
        return true;
    }();
    (void)made;
    return dir.path();
}

namespace
{
    std::vector<char*> argvOf(const std::vector<std::string>& args)
    {
        std::vector<char*> out;
        out.reserve(args.size() + 1);
        for (const auto& a : args)
            out.push_back(const_cast<char*>(a.c_str()));
        out.push_back(nullptr);
        return out;
    }

    int exitStatus(int status)
    {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
} // namespace

CommandResult run(const std::vector<std::string>& argv)
{
    int pipeFds[2];
    if (pipe2(pipeFds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    auto args = argvOf(argv);
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipeFds[1], STDOUT_FILENO);
        dup2(pipeFds[1], STDERR_FILENO);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(pipeFds[1]);
    CommandResult result;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipeFds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) result.output.append(buf, static_cast<std::size_t>(n));
    close(pipeFds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exitCode = exitStatus(status);
    return result;
}

std::string readFile(const fs::path& file)
{
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return {};
    std::string bytes(size, '\0');
    std::ifstream in(file, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    return bytes;
}

void writeFile(const fs::path& file, const std::string& bytes)
{
    std::ofstream out(file, std::ios::binary);
    out << bytes;
}

bool fileContains(const fs::path& file, const std::string& needle)
{
    return fs::exists(file) && readFile(file).find(needle) != std::string::npos;
}

CentralProcess::CentralProcess(const fs::path& db, int port, const std::string& serverName)
{
    const fs::path& pki = pkiDir();
    const std::vector<std::string> argv { SHENSU_CENTRAL_BIN, "serve", "--listen",
        "127.0.0.1:" + std::to_string(port), "--cert", (pki / (serverName + ".pem")).string(),
        "--key", (pki / (serverName + ".key")).string(), "--client-ca",
        (pki / "kiosk-ca.pem").string(), "--encryption-key",
        (pki / "central-encryption.key").string(), "--encryption-cert",
        (pki / "central-encryption.pem").string(), "--db", db.string() };
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    auto args = argvOf(argv);
    log_ = db.string() + ".central.log";
    const std::string& log = log_;
    pid_ = fork();
    if (pid_ == 0) {
        dup2(out[1], STDOUT_FILENO);
        const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (err >= 0) dup2(err, STDERR_FILENO);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out[1]);

    // Wait for "listening on 127.0.0.1:PORT".
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p { out[0], POLLIN, 0 };
        if (poll(&p, 1, 100) > 0) {
            char c[256];
            const ssize_t n = read(out[0], c, sizeof c);
            if (n <= 0) break;
            line.append(c, static_cast<std::size_t>(n));
        }
    }
    close(out[0]);
    const std::string prefix = "listening on 127.0.0.1:";
    if (line.rfind(prefix, 0) != 0) {
        stop();
        throw std::runtime_error("shensu-central did not start: '" + line + "' " + readFile(log));
    }
    port_ = std::stoi(line.substr(prefix.size()));
}

int CentralProcess::stop()
{
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    // A central that ignores SIGTERM fails the test instead of hanging it: 5 s, then SIGKILL.
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    return exitStatus(status);
}

CentralProcess::~CentralProcess()
{
    const bool running = pid_ > 0;
    const int status = stop();
    if (running && std::uncaught_exceptions() == 0) {
        INFO("shensu-central log:\n" << readFile(log_));
        CHECK(status == 0);
    }
}

std::vector<nlohmann::json> listCases(const fs::path& db)
{
    const auto r = run({ SHENSU_CENTRAL_BIN, "cases", "--db", db.string() });
    if (r.exitCode != 0) throw std::runtime_error("shensu-central cases failed: " + r.output);
    std::vector<nlohmann::json> cases;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
    return cases;
}

int unusedPort()
{
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
        || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        close(s);
        throw std::runtime_error("cannot find a free port");
    }
    close(s);
    return ntohs(a.sin_port);
}

network::ForwarderConfig forwarderConfig(const fs::path& outbox, int port)
{
    const fs::path& pki = pkiDir();
    network::ForwarderConfig c;
    c.outboxPath = outbox;
    c.centralUrl = "https://central.shensu.test:" + std::to_string(port);
    c.centralResolve = "central.shensu.test:" + std::to_string(port) + ":127.0.0.1";
    c.centralCaCert = pki / "central-ca.pem";
    c.clientCert = pki / "kiosk-device.pem";
    c.clientKey = pki / "kiosk-device.key";
    c.encryptionCert = pki / "central-encryption.pem";
    c.kioskId = "KIOSK-TEST-01";
    c.firstRetryDelay = std::chrono::milliseconds(100);
    c.maxRetryDelay = std::chrono::milliseconds(400);
    return c;
}

void ResultLog::operator()(const network::ForwardResult& r)
{
    {
        std::lock_guard lock(mutex_);
        results_.push_back(r);
        times_.push_back(std::chrono::steady_clock::now());
    }
    changed_.notify_all();
}

std::optional<network::ForwardResult> ResultLog::waitFor(
    std::size_t n, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return results_.size() >= n; }))
        return std::nullopt;
    return results_[n - 1];
}

std::vector<std::chrono::steady_clock::time_point> ResultLog::times() const
{
    std::lock_guard lock(mutex_);
    return times_;
}

std::size_t ResultLog::size() const
{
    std::lock_guard lock(mutex_);
    return results_.size();
}

bool matchesShape(const std::string& text, const std::string& pattern)
{
    if (text.size() != pattern.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool digit = c >= '0' && c <= '9';
        const bool ok = pattern[i] == '9' ? digit
            : pattern[i] == 'x'           ? digit || (c >= 'a' && c <= 'f')
                                          : c == pattern[i];
        if (!ok) return false;
    }
    return true;
}

nlohmann::json syntheticFiling(const std::string& marker)
{
    return { { "form", { { "id", "workplace-bullying" }, { "version", 1 } } },
        { "filer", { { "name", "林測試" }, { "idNumber", "Z100000001" } } },
        { "answers", { { "summary", "測試用的申訴內容 " + marker }, { "date", "1151120" } } },
        { "kioskId", "KIOSK-TEST-01" } };
}

} // namespace shensu::test
