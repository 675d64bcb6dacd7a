// The kiosk's one door to the central service: seal a filing, keep it durable, forward it in the
// background.
#pragma once

#include <network/protocol.hpp>
#include <network/seal.hpp> // CardSigner

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
    // SQLite file of sealed filings (created if missing).
    std::filesystem::path outboxPath;
    // e.g. https://central.shensu.test:8443 (the path /v1/submissions is appended).
    std::string centralUrl;
    // Optional curl RESOLVE entry "host:port:127.0.0.1" (tests, demo); empty: normal DNS.
    std::string centralResolve;
    // Optional HTTP proxy (curl CURLOPT_PROXY, e.g. "http://proxy.example:3128"); TLS to central
    // runs end to end through its CONNECT tunnel. Empty: direct (proxy environment variables are
    // ignored).
    std::string centralProxy;
    // The pinned central CA (PEM); the system store is never used.
    std::filesystem::path centralCaCert;
    // Kiosk device certificate and key (PEM): TLS client identity and the filing signature.
    std::filesystem::path clientCert;
    std::filesystem::path clientKey;
    // Central's encryption certificate: filings are sealed to it.
    std::filesystem::path encryptionCert;
    // Central's receipt-signing certificate, pinned: a filing leaves the outbox only when central's
    // answer carries a receipt signed by its key for that very envelope and Idempotency-Key.
    std::filesystem::path receiptCert;
    // For the kiosk's own records; central takes the kiosk id from the device certificate's CN.
    std::string kioskId;
    // Backoff after a failed attempt n (0-based): uniformly in
    // [firstRetryDelay, min(maxRetryDelay, firstRetryDelay * 2^(n+1))].
    std::chrono::milliseconds firstRetryDelay { 500 };
    std::chrono::milliseconds maxRetryDelay { 30000 };
    // One post may take this long in all (connect, TLS, upload, central's work, answer) before it
    // counts as an outage; connecting alone at most connectTimeout.
    std::chrono::milliseconds requestTimeout { 15000 };
    std::chrono::milliseconds connectTimeout { 3000 };
    // Posts in flight at once (1..16), each on its own connection. 4 (the default) drains a
    // backlog about twice as fast as 1 (central commits concurrent filings together) and meets
    // issue 5's 200 filings/s; 1 keeps filings arriving in the order they were stored (central
    // numbers cases on arrival, so with 4 the numbers of a backlog may come out of storing order;
    // a leased number is sealed in at store time and is not affected).
    int parallelPosts = 4;
    // Case-number leases (ARCHITECTURE §5.7, network/README.md): when on, the first sender keeps
    // a signed block of case numbers from central (POST /v1/case-numbers/lease, verified against
    // receiptCert, kept in the outbox database), asks for more when fewer than leaseLowWater
    // unused ones are left, and storeFiling() seals the next number and a verification code made
    // here into each filing, so the filer leaves with a final case number even offline.
    bool caseLeases = false;
    int leaseLowWater = 5;
    // After a lease request that failed (or brought nothing new), the next one waits this long.
    std::chrono::milliseconds leaseRetryDelay { 60000 };
    // A lease issued later than this kiosk's clock plus this allowance is not used (the clock is
    // behind central's: the numbers' takenAt would be wrong); logged as a clock error, filings go
    // without leased numbers. Tests set it negative to stand for a slow clock.
    std::chrono::seconds leaseClockSkew { std::chrono::minutes(5) };
};

// What central answered for one filing.
struct FilingAccepted {
    std::string filingId;
    std::string caseNumber;
    std::string verificationCode;
    std::string initialReportDue; // "YYYY-MM-DD" (Taipei), from the signed receipt
    std::string resultReportDue;
};
// What storeFiling() made durable: the id, and when the filing took a leased number, that number
// and the verification code sealed with it (final: central's receipt will carry the same).
struct StoredFiling {
    std::string filingId;
    std::string caseNumber; // "" when no leased number was free
    std::string verificationCode; // "" likewise
};

// Not delivered; it stays in the outbox. reason is for the technician, never personal data.
// Usually it is retried: outages, 5xx, 409, 429, TLS failures, and a refused receipt ("receipt
// refused: ...", retried like an outage: a replay brings central's stored receipt again). When
// central refuses the filing itself for good (400, 413, 415, 422: held), it is held instead: kept
// with the same sealed bytes, never sent again by itself, not in pendingCount(), until a
// technician releases it (`shensu-ctl outbox retry`, network/README.md "Held filings").
struct FilingDeferred {
    std::string filingId;
    std::string reason;
    bool serverRefused
        = false; // TLS peer failed verification (wrong CA, host name) rather than a plain outage
    bool held = false; // central refused it for good: held, not retried
};
using ForwardResult = std::variant<FilingAccepted, FilingDeferred>;

// Thrown by store() when the filing could not be made durable (sealing failed, disk full...).
class StoreError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Another Forwarder (another process) holds this outbox: Forwarder's constructor throws it.
class OutboxBusy : public StoreError
{
public:
    using StoreError::StoreError;
};

// The network part of a kiosk configuration file (docs/automation.md, "Configuration"). The one
// loader of these keys: shensu-ctl and the kiosk app build their ForwarderConfig with
// it (kiosk/app is wired to it at merge; see network/README.md). Keys: outboxPath, centralUrl,
// centralResolve, centralProxy, centralCaCert, clientCert, clientKey, encryptionCert, receiptCert,
// kioskId, retryFirstDelayMs, retryMaxDelayMs, centralTimeoutMs, centralConnectTimeoutMs,
// centralParallelPosts. Relative paths are taken relative to the file's directory. Throws
// StoreError naming the problem.
ForwarderConfig loadForwarderConfig(const std::filesystem::path& kioskConfigFile);

// Posts one heartbeat (protocol.hpp: health only, no personal data) to central with the same
// mutual TLS settings as filings. Returns "" when central took it, else the reason (technician
// text). Blocks up to config.requestTimeout.
std::string sendHeartbeat(const ForwarderConfig& config, const protocol::Heartbeat& heartbeat);

// The one builder of a heartbeat, for shensu-ctl heartbeat and the kiosk app: `version`, the
// outbox's depth and oldest filing's age read from outboxPath (an outbox not made yet is empty and
// is not created), no readers. Only reads: safe beside a running Forwarder. Throws on a database
// error.
protocol::Heartbeat outboxHeartbeat(const std::filesystem::path& outboxPath, std::string version);

class Forwarder
{
public:
    // onResult is called on a sender thread: with parallelPosts > 1 on several threads, possibly
    // at the same time, so it must be thread-safe. It is called exactly once per post attempt
    // that ended, and always once a row was deleted for an accepted receipt.
    // Throws OutboxBusy when another Forwarder (in any process) has the outbox: one outbox, one
    // Forwarder (an flock on outboxPath + ".lock").
    Forwarder(ForwarderConfig config, std::function<void(const ForwardResult&)> onResult);
    ~Forwarder(); // stops the background thread; pending filings stay in the outbox

    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    // Seals the filing (encrypted to central before it touches disk), stores it durably, wakes the
    // sender and returns its id (a UUID, also the Idempotency-Key). Throws StoreError. Safe from
    // any thread. With a card signer (an identified filing) the SignedData carries the card's
    // SignerInfo beside the device key's (seal.hpp); whatever the signer throws passes through
    // unchanged and nothing is stored.
    std::string store(const nlohmann::json& filing, const CardSigner& cardSigner = {});
    // store(), and with config.caseLeases and a free leased number: the number and a new
    // verification code go into the filing (key "lease", network/case_lease.hpp) before it is
    // sealed, and the number is marked used in the same durable transaction as the row, so it
    // is never shown twice, even across a crash. Throws StoreError.
    StoredFiling storeFiling(const nlohmann::json& filing, const CardSigner& cardSigner = {});
    // Unused case numbers in unexpired leases.
    std::size_t leasedNumbersLeft() const;

    // Filings still waiting for central's answer (held ones not counted).
    std::size_t pendingCount() const;
    // Filings central refused for good, held in the outbox (FilingDeferred::held).
    std::size_t heldCount() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::network
