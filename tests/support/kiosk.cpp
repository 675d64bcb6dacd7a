// The real shensu-kiosk for tests (see kiosk.hpp).
#include "kiosk.hpp"

#include <fstream>
#include <stdexcept>

namespace shensu::testing
{

std::filesystem::path writeKioskConfig(const KioskPaths& paths, const nlohmann::json& overrides)
{
    const auto pki = [&](const char* name) { return (paths.pkiDir / name).string(); };
    nlohmann::json config = {
        { "kioskId", "KIOSK-TEST-01" },
        { "outboxPath", (paths.workDir / "outbox.sqlite").string() },
        { "centralUrl", paths.centralUrl },
        { "centralResolve", paths.centralResolve },
        { "centralCaCert", pki("central-ca.pem") },
        { "clientCert", pki("kiosk-device.pem") },
        { "clientKey", pki("kiosk-device.key") },
        { "encryptionCert", pki("central-encryption.pem") },
        { "receiptCert", pki("central-receipt.pem") },
        { "assetsDir", (sourceDir() / "assets").string() },
        { "language", "zh-TW" },
    };
    if (overrides.is_object()) config.update(overrides);
    const auto path = paths.workDir / "kiosk.json";
    std::ofstream(path) << config.dump(2);
    return path;
}

KioskSession::KioskSession(
    const std::filesystem::path& config, const std::vector<std::string>& launcher)
    : stderrPath_(config.parent_path() / "kiosk.stderr")
{
    std::vector<std::string> argv = launcher;
    for (std::string arg :
        { (binDir() / "shensu-kiosk").string(), std::string("--config"), config.string(),
            std::string("--headless"), std::string("--script"), std::string("-") })
        argv.push_back(std::move(arg));
    process_ = std::make_unique<Process>(
        std::move(argv), std::map<std::string, std::string> {}, stderrPath_);
}

KioskSession::~KioskSession() = default;

void KioskSession::send(const nlohmann::json& command)
{
    process_->writeLine(command.dump());
}

nlohmann::json KioskSession::waitFor(
    const std::function<bool(const nlohmann::json&)>& match, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("timed out waiting for a kiosk event");
        auto line = process_->readLine(left);
        if (!line) {
            // The last events and the kiosk's log: the temporary directory goes with the test.
            std::string last;
            for (std::size_t i = events_.size() > 8 ? events_.size() - 8 : 0; i < events_.size();
                 ++i)
                last += "\n  " + events_[i].dump();
            throw std::runtime_error("the kiosk ended or stayed silent; last events:" + last
                + "\nits log (" + stderrPath_.string() + "):\n" + readFile(stderrPath_));
        }
        auto event = nlohmann::json::parse(*line, nullptr, false);
        if (event.is_discarded())
            throw std::runtime_error("kiosk printed a line that is not JSON: " + *line);
        events_.push_back(event);
        if (event.value("event", "") == "script_error") {
            throw std::runtime_error("kiosk script error: " + event.dump());
        }
        if (match(event)) return event;
    }
}

void KioskSession::confirmAnonymousFiling(bool waitForHome)
{
    const auto tap = [this](const char* id) { send({ { "cmd", "tap" }, { "id", id } }); };
    const auto type = [this](const char* id, const char* text) {
        send({ { "cmd", "type" }, { "id", id }, { "text", text } });
    };
    if (waitForHome) waitForScreen("home");
    tap("home.anonymous");
    waitForScreen("anonymous_info");
    tap("anonymous_info.continue");
    waitForScreen("form");
    type("form.agency", "測試市政府人事處");
    tap("form.identity.0");
    type("form.facts", "測試用的申訴內容：主管於會議中多次以言語羞辱。");
    tap("form.submit");
    waitForScreen("review");
    tap("review.confirm");
}

nlohmann::json KioskSession::waitForScreen(
    const std::string& screen, std::chrono::milliseconds timeout)
{
    return waitFor(
        [&](const nlohmann::json& e) {
            return e.value("event", "") == "screen" && e.value("screen", "") == screen;
        },
        timeout);
}

int KioskSession::quit()
{
    send({ { "cmd", "quit" } });
    process_->closeStdin();
    while (auto line = process_->readLine(std::chrono::seconds(10))) {
        auto event = nlohmann::json::parse(*line, nullptr, false);
        if (!event.is_discarded()) events_.push_back(event);
    }
    return process_->wait(std::chrono::seconds(10)).value_or(-1);
}

} // namespace shensu::testing
