// libcurl POST of a sealed filing with TLS 1.3 client authentication, and the classification of
// outcomes.
#include "transport.hpp"

#include <algorithm>
#include <climits>

namespace shensu::network
{

namespace
{
    size_t appendBody(char* data, size_t size, size_t count, void* user)
    {
        auto* body = static_cast<std::string*>(user);
        body->append(data, size * count);
        return size * count;
    }

    PostOutcome classify(CURLcode code)
    {
        switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION: // 60: unknown CA or host name mismatch
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH: // 90
        case CURLE_SSL_ISSUER_ERROR: // 83
        case CURLE_SSL_INVALIDCERTSTATUS: // 91
            return PostOutcome::SERVER_REFUSED;
        case CURLE_ABORTED_BY_CALLBACK:
            return PostOutcome::CANCELLED;
        default:
            // 6/7/28/35/52/55/56...: no usable connection; 58 is our own certificate or key, not
            // central's fault. Under TLS 1.3 central refusing *our* certificate also lands here
            // (55/56 with a TLS alert in the text), which the reason string keeps visible.
            return PostOutcome::UNREACHABLE;
        }
    }
} // namespace

void configureCentralTls(
    curl::EasyHandle& easy, const ForwarderConfig& config, curl::StringList& resolve)
{
    if (!config.centralResolve.empty()) resolve.append(config.centralResolve);

    easy.set(CURLOPT_PROTOCOLS_STR, "https");
    // TLS 1.3 only: min = max = 1.3 (CURL_SSLVERSION_MAX_TLSv1_3 is TLSv1_3 << 16).
    const long tls13 = CURL_SSLVERSION_TLSv1_3;
    easy.set(CURLOPT_SSLVERSION, tls13 | (tls13 << 16));
    // Only the pinned central CA: CAPATH null so no system directory is consulted.
    easy.set(CURLOPT_CAINFO, config.centralCaCert.c_str());
    easy.set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    easy.set(CURLOPT_SSL_VERIFYPEER, 1L);
    easy.set(CURLOPT_SSL_VERIFYHOST, 2L);
    easy.set(CURLOPT_SSLCERT, config.clientCert.c_str());
    easy.set(CURLOPT_SSLCERTTYPE, "PEM");
    easy.set(CURLOPT_SSLKEY, config.clientKey.c_str());
    easy.set(CURLOPT_SSLKEYTYPE, "PEM");
    if (resolve.get()) easy.set(CURLOPT_RESOLVE, resolve.get());
    // Empty string: no proxy at all, whatever https_proxy says.
    easy.set(CURLOPT_PROXY, config.centralProxy.c_str());
    if (!config.centralProxy.empty()) easy.set(CURLOPT_HTTPPROXYTUNNEL, 1L);
    easy.set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connectTimeout.count()));
    easy.set(CURLOPT_TIMEOUT_MS, static_cast<long>(config.requestTimeout.count()));
    easy.set(CURLOPT_NOSIGNAL, 1L);
    easy.set(CURLOPT_FOLLOWLOCATION, 0L);
    easy.set(CURLOPT_POST, 1L);
}

CentralTransport::CentralTransport(const ForwarderConfig& config, const ReceiptVerifier& verifier,
    curl::MultiHandle& multi, const std::atomic<bool>& cancel)
    : verifier_(verifier)
    , multi_(multi)
    , url_(config.centralUrl + std::string(protocol::SUBMISSIONS_PATH))
    , heartbeatUrl_(config.centralUrl + std::string(protocol::HEARTBEAT_PATH))
    , leaseUrl_(config.centralUrl + std::string(protocol::CASE_LEASE_PATH))
    , cancel_(cancel)
{
    configureCentralTls(easy_, config, resolve_);
    easy_.set(CURLOPT_URL, url_.c_str());
    easy_.set(CURLOPT_WRITEFUNCTION, &appendBody);
}

PostResult CentralTransport::postSubmission(
    const std::string& idempotencyKey, std::span<const unsigned char> envelope)
{
    curl::StringList headers;
    headers.append("Content-Type: " + std::string(protocol::ENVELOPE_CONTENT_TYPE));
    headers.append(std::string(protocol::IDEMPOTENCY_HEADER) + ": " + idempotencyKey);
    headers.append("Accept: application/json");
    headers.append("Expect:");
    std::string body;

    easy_.set(CURLOPT_URL, url_.c_str());
    easy_.set(CURLOPT_HTTPHEADER, headers.get());
    easy_.set(CURLOPT_POSTFIELDS, static_cast<const void*>(envelope.data()));
    easy_.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(envelope.size()));
    easy_.set(CURLOPT_WRITEDATA, static_cast<void*>(&body));
    const curl::PerformResult done = multi_.perform(easy_, cancel_);
    // Don't leave pointers into this frame in the handle.
    easy_.set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    easy_.set(CURLOPT_WRITEDATA, static_cast<void*>(nullptr));

    if (done.code != CURLE_OK) {
        const PostOutcome outcome = classify(done.code);
        return { outcome, std::nullopt, "curl " + std::to_string(done.code) + ": " + done.error };
    }
    const std::string status = "HTTP " + std::to_string(done.httpStatus);
    if (done.httpStatus >= 200 && done.httpStatus < 300) {
        try {
            return { PostOutcome::ACCEPTED, verifier_.verify(body, envelope, idempotencyKey),
                status };
        } catch (const std::exception& e) { // ReceiptError, or OpenSslError from a broken key
            return { PostOutcome::RECEIPT_REFUSED, std::nullopt, status + ": " + e.what() };
        }
    }
    if (done.httpStatus == 409 || done.httpStatus == 429) {
        curl_off_t seconds = 0;
        if (curl_easy_getinfo(easy_.get(), CURLINFO_RETRY_AFTER, &seconds) != CURLE_OK) seconds = 0;
        return { PostOutcome::BUSY, std::nullopt, status,
            std::chrono::seconds(std::clamp<curl_off_t>(seconds, 0, 3600)) };
    }
    // What central says of this filing itself (network/README.md, "Held filings").
    if (done.httpStatus == 400 || done.httpStatus == 413 || done.httpStatus == 415
        || done.httpStatus == 422) {
        // Central names the check that refused it ("form", "lease"...): kept only if it is such
        // a short code, so no free text from the answer reaches the outbox or the log.
        const auto answer = nlohmann::json::parse(body, nullptr, false);
        std::string code;
        if (answer.is_object() && answer.contains("code") && answer["code"].is_string())
            code = answer["code"].get<std::string>();
        if (code.empty() || code.size() > 32
            || code.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos)
            code.clear();
        return { PostOutcome::REFUSED_FOR_GOOD, std::nullopt,
            code.empty() ? status : status + " (" + code + ")", {}, {}, done.httpStatus,
            std::move(code) };
    }
    if (done.httpStatus >= 400 && done.httpStatus < 500)
        return { PostOutcome::REJECTED, std::nullopt, status };
    return { PostOutcome::SERVER_ERROR, std::nullopt, status };
}

PostResult CentralTransport::postJson(const std::string& url, const std::string& json,
    std::initializer_list<long> acceptedStatuses, bool busyOn429)
{
    curl::StringList headers;
    headers.append("Content-Type: application/json");
    headers.append("Expect:");
    std::string body;
    easy_.set(CURLOPT_URL, url.c_str());
    easy_.set(CURLOPT_HTTPHEADER, headers.get());
    easy_.set(CURLOPT_POSTFIELDS, static_cast<const void*>(json.data()));
    easy_.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
    easy_.set(CURLOPT_WRITEDATA, static_cast<void*>(&body));
    const curl::PerformResult done = multi_.perform(easy_, cancel_);
    easy_.set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    easy_.set(CURLOPT_WRITEDATA, static_cast<void*>(nullptr));
    if (done.code != CURLE_OK)
        return { classify(done.code), std::nullopt,
            "curl " + std::to_string(done.code) + ": " + done.error };
    const std::string status = "HTTP " + std::to_string(done.httpStatus);
    if (std::find(acceptedStatuses.begin(), acceptedStatuses.end(), done.httpStatus)
        != acceptedStatuses.end())
        return { PostOutcome::ACCEPTED, std::nullopt, status, std::chrono::seconds(0),
            std::move(body) };
    if (busyOn429 && done.httpStatus == 429) return { PostOutcome::BUSY, std::nullopt, status };
    if (done.httpStatus >= 400 && done.httpStatus < 500)
        return { PostOutcome::REJECTED, std::nullopt, status };
    return { PostOutcome::SERVER_ERROR, std::nullopt, status };
}

PostResult CentralTransport::postHeartbeat(const protocol::Heartbeat& heartbeat)
{
    PostResult posted = postJson(heartbeatUrl_, protocol::heartbeatBody(heartbeat), { 200 }, false);
    posted.body.clear(); // a heartbeat's answer is not kept
    return posted;
}

PostResult CentralTransport::postLease()
{
    return postJson(leaseUrl_, "{}", { 200, 201 }, true);
}

std::string sendHeartbeat(const ForwarderConfig& config, const protocol::Heartbeat& heartbeat)
{
    const ReceiptVerifier verifier(config.receiptCert);
    curl::MultiHandle multi;
    const std::atomic<bool> never { false };
    CentralTransport transport(config, verifier, multi, never);
    const PostResult posted = transport.postHeartbeat(heartbeat);
    return posted.outcome == PostOutcome::ACCEPTED ? std::string() : posted.reason;
}

} // namespace shensu::network
