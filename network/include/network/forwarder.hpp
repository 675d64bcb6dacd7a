// The kiosk's one door to the central service: seal a filing, keep it durable, forward it in the
// background.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace shensu::network
{

struct ForwarderConfig {
    std::filesystem::path outboxPath; // SQLite file of sealed filings
    std::string centralUrl; // e.g. https://central.shensu.test:8443
    std::string centralResolve; // optional curl RESOLVE entry "host:port:127.0.0.1" (tests, demo)
    std::filesystem::path centralCaCert; // the pinned CA; the system store is never used
    std::filesystem::path clientCert; // kiosk device certificate (PEM)
    std::filesystem::path clientKey; // kiosk device key (PEM)
    std::filesystem::path
        encryptionCert; // central's encryption certificate: filings are sealed to it
    std::string kioskId;
    std::chrono::milliseconds firstRetryDelay { 500 };
    std::chrono::milliseconds maxRetryDelay { 30000 };
};

// What central answered for one filing.
struct FilingAccepted {
    std::string filingId;
    std::string caseNumber;
    std::string verificationCode;
};
// Not delivered yet; it stays in the outbox and is retried. reason is for the technician, never
// personal data.
struct FilingDeferred {
    std::string filingId;
    std::string reason;
    bool serverRefused
        = false; // TLS peer failed verification (wrong CA, host name) rather than a plain outage
};
using ForwardResult = std::variant<FilingAccepted, FilingDeferred>;

// Thrown by store() when the filing could not be made durable (sealing failed, disk full...).
class StoreError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class Forwarder
{
public:
    // onResult is called on the forwarder's thread.
    Forwarder(ForwarderConfig config, std::function<void(const ForwardResult&)> onResult);
    ~Forwarder(); // stops the background thread; pending filings stay in the outbox

    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    // Seals the filing (encrypted to central before it touches disk), stores it durably, wakes the
    // sender and returns its id (a UUID, also the Idempotency-Key). Throws StoreError. Safe from
    // any thread.
    std::string store(const nlohmann::json& filing);

    // Filings still waiting for central's answer.
    std::size_t pendingCount() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::network
