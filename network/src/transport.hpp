// Posting one sealed filing to central over mutual TLS, and what came of it.
#pragma once

#include "curl.hpp"

#include <network/forwarder.hpp>
#include <network/protocol.hpp>
#include <network/receipt.hpp>

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

namespace shensu::network
{

enum class PostOutcome {
    ACCEPTED, // 2xx with a receipt that verifies for this envelope and key
    SERVER_REFUSED, // central's certificate or host name failed verification: not our central
    UNREACHABLE, // no connection, timeouts, TLS torn down (includes central refusing our
                 // certificate)
    SERVER_ERROR, // 5xx or a 2xx we could not read
    BUSY, // 409 (this key is in progress) or 429 (rate limited): retry, not before retryAfter
    REJECTED, // other 4xx (401, 403, 404...): a configuration or access problem, not this
              // filing's: retried
    REFUSED_FOR_GOOD, // 400, 413, 415, 422 to a submission: central refuses this very filing
                      // (malformed, too large, its answers or filer or leased number refused);
                      // sending it again cannot change that: the forwarder holds it
    RECEIPT_REFUSED, // 2xx whose receipt is not signed by the pinned key or names another filing
    CANCELLED, // the forwarder is stopping
};

struct PostResult {
    PostOutcome outcome;
    std::optional<protocol::SubmissionReceipt> receipt;
    std::string reason; // for the technician: curl code and text or HTTP status; never a body
    std::chrono::seconds retryAfter { 0 }; // BUSY: central's Retry-After (0: none)
    std::string body {}; // postLease: the answer body on ACCEPTED (the signed lease, unverified)
    long httpStatus = 0; // REFUSED_FOR_GOOD: central's status
    std::string refusalCode {}; // REFUSED_FOR_GOOD: central's "code" ([a-z-]{1,32}) or ""
};

// The TLS settings every call to central uses: TLS 1.3 only, the pinned central CA (never the
// system store), host name checked, the device certificate as client identity, RESOLVE from the
// config (kept in resolve, which must outlive the handle's transfers), short timeouts, POST.
void configureCentralTls(
    curl::EasyHandle& easy, const ForwarderConfig& config, curl::StringList& resolve);

class CentralTransport
{
public:
    // A transfer runs on multi; when cancel is set and multi.wakeUp() called, it is abandoned at
    // once.
    // verifier checks central's receipts; it must outlive the transport.
    CentralTransport(const ForwarderConfig& config, const ReceiptVerifier& verifier,
        curl::MultiHandle& multi, const std::atomic<bool>& cancel);
    PostResult postSubmission(
        const std::string& idempotencyKey, std::span<const unsigned char> envelope);
    // ACCEPTED on 200 (no receipt), otherwise as for a submission.
    PostResult postHeartbeat(const protocol::Heartbeat& heartbeat);
    // POST /v1/case-numbers/lease: ACCEPTED on 200/201 with the body (to be verified by the
    // caller), otherwise as for a heartbeat.
    PostResult postLease();

private:
    // POSTs json to url: ACCEPTED (with the answer body) on a status in acceptedStatuses, BUSY on
    // 429 if busyOn429 (no Retry-After), REJECTED on another 4xx, SERVER_ERROR otherwise.
    PostResult postJson(const std::string& url, const std::string& json,
        std::initializer_list<long> acceptedStatuses, bool busyOn429);

    const ReceiptVerifier& verifier_;
    curl::MultiHandle& multi_;
    curl::EasyHandle easy_;
    curl::StringList resolve_;
    std::string url_;
    std::string heartbeatUrl_;
    std::string leaseUrl_;
    const std::atomic<bool>& cancel_;
};

} // namespace shensu::network
