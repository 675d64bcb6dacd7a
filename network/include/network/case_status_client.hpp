// The kiosk's case progress query (案件進度查詢): POST /v1/cases/status to central over the
// forwarder's mutual-TLS settings, and central's answer read into one of a few outcomes.
#pragma once

#include <network/forwarder.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace shensu::network
{

struct CaseStatus {
    std::string caseNumber;
    std::string status; // received, forwarded, accepted, initial_reported, result_reported, closed
    std::string statusText; // central's wording for the filer (zh-TW), e.g. 已轉交權責機關
    std::string statusAt; // ISO 8601 UTC
    std::string receivedAt; // ISO 8601 UTC
    std::string initialReportDue; // Taipei date YYYY-MM-DD
    std::string resultReportDue;
    int resultExtensions = 0;
};

enum class CaseStatusOutcome {
    FOUND, // 200 with every field
    NOT_FOUND, // 404: unknown case or wrong code; central says the same for both
    RATE_LIMITED, // 429; retryAfterSeconds from Retry-After (0 when absent)
    MALFORMED, // 400: central refused the request's form
    UNREACHABLE, // no connection, TLS failure (either side), 5xx, an answer not of the protocol
};

struct CaseStatusAnswer {
    CaseStatusOutcome outcome = CaseStatusOutcome::UNREACHABLE;
    CaseStatus status; // FOUND
    long retryAfterSeconds = 0; // RATE_LIMITED
    std::string reason; // for the technician: curl code or HTTP status; never a body or a code
};

// Blocking calls with the forwarder's TLS settings (TLS 1.3, pinned central CA, device
// certificate, RESOLVE); only centralUrl, centralResolve, centralCaCert, clientCert, clientKey and
// the timeouts of the config are used. One thread at a time (the kiosk's network worker). The
// request body, which holds the verification code, is cleansed after the call.
class CaseStatusClient
{
public:
    explicit CaseStatusClient(const ForwarderConfig& config);
    ~CaseStatusClient();
    CaseStatusClient(const CaseStatusClient&) = delete;
    CaseStatusClient& operator=(const CaseStatusClient&) = delete;

    CaseStatusAnswer query(std::string_view caseNumber, std::string_view verificationCode);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::network
