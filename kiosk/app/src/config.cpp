// Reads the kiosk's JSON configuration (contract 3).
#include "kiosk/app/config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace shensu::kiosk::app
{

KioskConfig loadConfig(const std::filesystem::path& file)
{
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot open config " + file.string());
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("config " + file.string() + ": " + e.what());
    }
    const auto base = file.parent_path();
    auto path = [&](const char* key) -> std::filesystem::path {
        if (!j.contains(key)) return {};
        std::filesystem::path p = j.at(key).get<std::string>();
        return p.is_relative() ? base / p : p;
    };
    try {
        KioskConfig c;
        c.kioskId = j.value("kioskId", c.kioskId);
        if (j.contains("assetsDir")) c.assetsDir = path("assetsDir");
        if (j.contains("language")
            && !parseLanguage(j.at("language").get<std::string>(), c.language)) {
            throw std::runtime_error("language must be \"zh-TW\" or \"en\"");
        }
        c.formFile = j.value("form", c.formFile);
        if (c.formFile.empty() || c.formFile.find('/') != std::string::npos)
            throw std::runtime_error("form must be a file name under <assetsDir>/forms");
        c.file = file;
        c.outboxPath = path("outboxPath");
        c.centralUrl = j.value("centralUrl", "");
        c.pkcs11Module = path("pkcs11Module");
        c.pinPadShuffle = j.value("pinPadShuffle", false);
        c.readerPinTimeout
            = std::chrono::seconds(j.value("readerPinTimeoutSeconds", c.readerPinTimeout.count()));
        if (c.readerPinTimeout.count() < 1 || c.readerPinTimeout.count() > 255)
            throw std::runtime_error("readerPinTimeoutSeconds must be 1-255");
        c.stateDir = path("stateDir");
        if (c.stateDir.empty() && !c.outboxPath.empty()) c.stateDir = c.outboxPath.parent_path();
        c.heartbeat = std::chrono::seconds(j.value("heartbeatSeconds", c.heartbeat.count()));
        if (c.heartbeat.count() < 0 || c.heartbeat.count() > 86400)
            throw std::runtime_error("heartbeatSeconds must be 0-86400");
        c.sessionIdle = std::chrono::seconds(j.value("sessionIdleSeconds", c.sessionIdle.count()));
        c.sessionWarning
            = std::chrono::seconds(j.value("sessionWarningSeconds", c.sessionWarning.count()));
        c.noticeShown = std::chrono::seconds(j.value("noticeSeconds", c.noticeShown.count()));
        if (c.sessionIdle.count() < 1 || c.sessionWarning.count() < 0
            || c.sessionWarning >= c.sessionIdle) {
            throw std::runtime_error("sessionWarningSeconds must be less than sessionIdleSeconds");
        }
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("config " + file.string() + ": " + e.what());
    }
}

} // namespace shensu::kiosk::app
