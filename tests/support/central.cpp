// A real shensu-central for tests (see central.hpp).
#include "central.hpp"

#include "postgres.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <exception>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shensu::testing
{

RunningCentral::RunningCentral(const std::filesystem::path& pki, const std::filesystem::path& db,
    const std::string& serverCert, int port, const std::string& receiptSigner,
    const std::vector<std::string>& extraArgs)
    : log_(db.string() + ".central.log")
{
    const auto file = [&](const std::string& name) { return (pki / name).string(); };
    std::vector<std::string> argv { (binDir() / "shensu-central").string(), "serve", "--listen",
        "127.0.0.1:" + std::to_string(port), "--cert", file(serverCert + ".pem"), "--key",
        file(serverCert + ".key"), "--client-ca", file("kiosk-ca.pem"), "--encryption-key",
        file("central-encryption.key"), "--encryption-cert", file("central-encryption.pem"),
        "--receipt-cert", file(receiptSigner + ".pem"), "--receipt-key",
        file(receiptSigner + ".key"), "--db", centralDb(db) };
    // Central checks every filing's answers against the kiosk's own form files unless the test
    // gives its own --forms ("" = unchecked, to test that mode).
    if (std::find(extraArgs.begin(), extraArgs.end(), "--forms") == extraArgs.end())
        argv.insert(argv.end(), { "--forms", (sourceDir() / "assets" / "forms").string() });
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    // The counters' key file where the SQLite central keeps it, so tests can look at it.
    if (testingPostgres()
        && std::find(extraArgs.begin(), extraArgs.end(), "--moica-ca") != extraArgs.end()
        && std::find(extraArgs.begin(), extraArgs.end(), "--nhi-key") == extraArgs.end())
        argv.insert(argv.end(), { "--nhi-key", db.string() + ".nhi-key" });
    process_ = std::make_unique<Process>(argv, std::map<std::string, std::string> {}, log_);
    process_->closeStdin();
    const std::string prefix = "listening on 127.0.0.1:";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string line;
    while (
        const auto read = process_->readLine(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()))) {
        line = *read;
        if (line.starts_with(prefix)) {
            port_ = std::stoi(line.substr(prefix.size()));
            return;
        }
    }
    stop();
    throw std::runtime_error("shensu-central did not start: '" + line + "'\n" + readFile(log_));
}

RunningCentral::~RunningCentral()
{
    const bool running = process_ != nullptr;
    const int status = stop();
    if (running && std::uncaught_exceptions() == 0) {
        INFO("shensu-central log:\n" << readFile(log_));
        CHECK(status == 0);
    }
}

int RunningCentral::stop()
{
    if (!process_) return status_;
    process_->signal(SIGTERM);
    auto status = process_->wait(std::chrono::seconds(5));
    if (!status) {
        process_->signal(SIGKILL);
        status = process_->wait(std::chrono::seconds(5));
    }
    while (const auto line = process_->readLine(std::chrono::milliseconds(100)))
        output_ += *line + "\n";
    process_.reset();
    status_ = status.value_or(-1);
    return status_;
}

std::vector<std::string> centralAuthArgs(
    const std::filesystem::path& pki, const std::filesystem::path& nhiRegistry)
{
    std::vector<std::string> args { "--moica-ca", (pki / "moica-ca.pem").string(), "--moica-crl",
        (pki / "moica.crl").string(), "--personnel",
        (sourceDir() / "tests/central/personnel.json").string() };
    if (!nhiRegistry.empty()) args.insert(args.end(), { "--nhi-registry", nhiRegistry.string() });
    return args;
}

void registerNhiCard(const std::filesystem::path& registry, const std::string& cardNumber,
    const std::string& password, const std::string& name, const std::string& agency)
{
    Process p(
        { (binDir() / "shensu-central").string(), "nhi-register", "--registry", registry.string(),
            "--card-number", cardNumber, "--name", name, "--agency", agency },
        {}, registry.string() + ".register.log");
    p.writeLine(password);
    p.closeStdin();
    const auto status = p.wait(std::chrono::seconds(20));
    if (status != 0)
        throw std::runtime_error(
            "shensu-central nhi-register failed: " + readFile(registry.string() + ".register.log"));
}

std::vector<nlohmann::json> storedCases(const std::filesystem::path& db)
{
    const auto r = run({ (binDir() / "shensu-central").string(), "cases", "--db", centralDb(db) });
    if (r.exitCode != 0) throw std::runtime_error("shensu-central cases failed: " + r.errors);
    std::vector<nlohmann::json> cases;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
    }
    return cases;
}

int unusedPort()
{
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw std::runtime_error("socket failed");
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0
        && getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    close(s);
    if (!ok) throw std::runtime_error("cannot find a free port");
    return ntohs(a.sin_port);
}

} // namespace shensu::testing
