// The kiosk's configuration file (contract 3): identity, assets, language, and the optional network
// part.
#pragma once

#include "kiosk/core/catalogue.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace shensu::kiosk::app
{

struct KioskConfig {
    std::string kioskId = "KIOSK-UNCONFIGURED";
    std::filesystem::path assetsDir = SHENSU_ASSETS_DIR;
    Language language = Language::ZH_TW;
    std::string formFile = "dgpa-complaint.v1.json"; // under <assetsDir>/forms ("form" key)

    // Network part: the kiosk reads only whether there is one; the forwarder and the login client
    // take every network key (URL, certificates, proxy, timeouts, retries) from the same file
    // through network::loadForwarderConfig, the one reader of those keys. Without outboxPath and
    // centralUrl the kiosk runs but cannot save filings.
    std::filesystem::path file; // the file this was read from; empty for the built-in defaults
    std::filesystem::path outboxPath;
    std::string centralUrl;
    // Session safety: an untouched session ends after sessionIdleSeconds; the countdown shows for
    // its last sessionWarningSeconds (at least 20 in production; tests may use less).
    std::chrono::seconds sessionIdle { 120 };
    std::chrono::seconds sessionWarning { 20 };
    std::chrono::seconds noticeShown { 10 }; // a home-screen notice, e.g. "session timed out"

    // Citizen certificate (PKCS#11). Empty pkcs11Module: OpenSC's module where installed (demo and
    // tests); production images name Chunghwa Telecom's HiCOS module here.
    std::filesystem::path pkcs11Module;
    bool pinPadShuffle = false; // the PIN pad's digits in a new random order on every PIN screen
    // How long a PIN-pad reader waits for the keys: set it to what the reader (or the module's
    // configuration) uses. Shown on screen; a keypad login cancelled after this long is a timeout.
    std::chrono::seconds readerPinTimeout { 30 };
    // Durable kiosk state (the per-card PIN failure count). Empty: next to the outbox, if any.
    std::filesystem::path stateDir;
    // With a network part: a heartbeat (version, outbox depth and age; nothing about anyone) to
    // central at start and then every heartbeatSeconds ("heartbeatSeconds", 0 = none).
    std::chrono::seconds heartbeat { 60 };

    bool hasNetwork() const { return !outboxPath.empty() && !centralUrl.empty(); }
};

// Relative paths are taken relative to the file's directory. Throws std::runtime_error naming the
// problem.
KioskConfig loadConfig(const std::filesystem::path& file);

} // namespace shensu::kiosk::app
