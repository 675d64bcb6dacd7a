// A real shensu-central for tests (see central.hpp).
#include "central.hpp"

#include <csignal>
#include <sstream>
#include <stdexcept>

namespace shensu::testing
{

void makeTestPki(const std::filesystem::path& dir)
{
    const auto [code, out]
        = run({ (sourceDir() / "scripts/make-test-pki").string(), dir.string() }, std::chrono::seconds(60));
    if (code != 0) throw std::runtime_error("make-test-pki failed: " + out);
}

RunningCentral::RunningCentral(const std::filesystem::path& pkiDir, const std::filesystem::path& dbPath,
    const std::string& serverCert, int port)
{
    const auto pki = [&](const std::string& name) { return (pkiDir / name).string(); };
    process_ = std::make_unique<Process>(
        std::vector<std::string> { (binDir() / "shensu-central").string(), "serve", "--listen",
            "127.0.0.1:" + std::to_string(port), "--cert", pki(serverCert + ".pem"), "--key",
            pki(serverCert + ".key"), "--client-ca", pki("kiosk-ca.pem"), "--encryption-key",
            pki("central-encryption.key"), "--encryption-cert", pki("central-encryption.pem"), "--db",
            dbPath.string() },
        std::map<std::string, std::string> {}, dbPath.parent_path() / "central.log");
    const std::string prefix = "listening on 127.0.0.1:";
    while (auto line = process_->readLine(std::chrono::seconds(20))) {
        if (line->starts_with(prefix)) {
            port_ = std::stoi(line->substr(prefix.size()));
            return;
        }
    }
    throw std::runtime_error("shensu-central did not report that it is listening");
}

RunningCentral::~RunningCentral() { stop(); }

void RunningCentral::stop()
{
    if (!process_) return;
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(5));
    process_.reset();
}

std::vector<nlohmann::json> storedCases(const std::filesystem::path& dbPath)
{
    const auto [code, out]
        = run({ (binDir() / "shensu-central").string(), "cases", "--db", dbPath.string() });
    if (code != 0) throw std::runtime_error("shensu-central cases failed: " + out);
    std::vector<nlohmann::json> cases;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
    }
    return cases;
}

} // namespace shensu::testing
