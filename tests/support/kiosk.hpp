// The real shensu-kiosk for tests, driven headless through its JSON-lines automation
// (docs/automation.md).
#pragma once

#include "process.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shensu::testing
{

struct KioskPaths {
    std::filesystem::path pkiDir;
    std::filesystem::path workDir; // outbox and logs go here
    std::string centralUrl;
    std::string centralResolve;
};

// Writes a kiosk config (docs/automation.md, "Configuration") and returns its path.
std::filesystem::path writeKioskConfig(
    const KioskPaths& paths, const nlohmann::json& overrides = {});

class KioskSession
{
public:
    // launcher: a command the kiosk's argv is appended to (e.g. {"/bin/sh", "-c", "…; exec \"$@\"",
    // "sh"} to set a limit first); it must exec the kiosk, so that pid() is the kiosk's.
    explicit KioskSession(
        const std::filesystem::path& config, const std::vector<std::string>& launcher = {});
    ~KioskSession();

    void send(const nlohmann::json& command);
    // Reads events until one satisfies `match`; every event read is kept in events(). Throws on
    // timeout or exit.
    nlohmann::json waitFor(const std::function<bool(const nlohmann::json&)>& match,
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
    nlohmann::json waitForScreen(
        const std::string& screen, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Home (waited for unless told) → 匿名檢舉 → the anonymous notice → the form (agency,
    // identity, facts) → review → 確認送出. What comes next is the caller's to wait for.
    void confirmAnonymousFiling(bool waitForHome = true);
    // Sends quit and returns the exit code.
    int quit();

    const std::vector<nlohmann::json>& events() const noexcept { return events_; }
    const std::filesystem::path& stderrPath() const noexcept { return stderrPath_; }
    pid_t pid() const noexcept { return process_->pid(); }

private:
    std::filesystem::path stderrPath_;
    std::unique_ptr<Process> process_;
    std::vector<nlohmann::json> events_;
};

} // namespace shensu::testing
