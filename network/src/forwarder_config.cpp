// The network part of the kiosk configuration file, for the forwarder and shensu-ctl.
#include <network/forwarder.hpp>
#include <network/outbox.hpp>

#include <algorithm>
#include <fstream>

namespace shensu::network
{

ForwarderConfig loadForwarderConfig(const std::filesystem::path& file)
{
    std::ifstream in(file);
    if (!in) throw StoreError("cannot open config " + file.string());
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw StoreError("config " + file.string() + " is not a JSON object");
    const auto base = file.parent_path();
    try {
        auto path = [&](const char* key) -> std::filesystem::path {
            if (!j.contains(key)) return {};
            std::filesystem::path p = j.at(key).get<std::string>();
            return p.is_relative() ? base / p : p;
        };
        ForwarderConfig c;
        c.outboxPath = path("outboxPath");
        c.centralUrl = j.value("centralUrl", "");
        c.centralResolve = j.value("centralResolve", "");
        c.centralProxy = j.value("centralProxy", "");
        c.centralCaCert = path("centralCaCert");
        c.clientCert = path("clientCert");
        c.clientKey = path("clientKey");
        c.encryptionCert = path("encryptionCert");
        c.receiptCert = path("receiptCert");
        c.kioskId = j.value("kioskId", "KIOSK-UNCONFIGURED");
        c.firstRetryDelay
            = std::chrono::milliseconds(j.value("retryFirstDelayMs", c.firstRetryDelay.count()));
        c.maxRetryDelay
            = std::chrono::milliseconds(j.value("retryMaxDelayMs", c.maxRetryDelay.count()));
        c.requestTimeout
            = std::chrono::milliseconds(j.value("centralTimeoutMs", c.requestTimeout.count()));
        c.connectTimeout = std::chrono::milliseconds(
            j.value("centralConnectTimeoutMs", c.connectTimeout.count()));
        c.parallelPosts = j.value("centralParallelPosts", c.parallelPosts);
        c.caseLeases = j.value("caseLeases", c.caseLeases);
        c.leaseLowWater = j.value("caseLeaseLowWater", c.leaseLowWater);
        if (c.outboxPath.empty() || c.centralUrl.empty())
            throw StoreError("config " + file.string() + " has no outboxPath or centralUrl");
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw StoreError("config " + file.string() + ": " + e.what());
    }
}

protocol::Heartbeat outboxHeartbeat(const std::filesystem::path& outboxPath, std::string version)
{
    protocol::Heartbeat heartbeat;
    heartbeat.version = std::move(version);
    if (!std::filesystem::exists(outboxPath)) return heartbeat;
    Outbox outbox(outboxPath);
    heartbeat.outboxDepth = static_cast<std::int64_t>(outbox.count());
    heartbeat.heldFilings = static_cast<std::int64_t>(outbox.heldCount());
    if (const auto oldest = outbox.oldestCreatedAt())
        heartbeat.oldestOutboxAgeSeconds = std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - *oldest).count());
    return heartbeat;
}

} // namespace shensu::network
