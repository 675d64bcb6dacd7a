// CaseStatusClient: POST /v1/cases/status with {caseNumber, verificationCode}, and the reading of
// central's answer.
#include "curl.hpp"
#include "transport.hpp"

#include <network/case_status_client.hpp>
#include <network/protocol.hpp>

#include <algorithm>

#include <openssl/crypto.h>

namespace shensu::network
{

namespace
{
    size_t appendBody(char* data, size_t size, size_t count, void* user)
    {
        auto* body = static_cast<std::string*>(user);
        if (body->size() + size * count > 64 * 1024) return 0; // no answer of ours is this big
        body->append(data, size * count);
        return size * count;
    }

    bool stringField(const nlohmann::json& json, const char* key, std::string& out)
    {
        const auto it = json.find(key);
        if (it == json.end() || !it->is_string()) return false;
        out = it->get<std::string>();
        return true;
    }
} // namespace

struct CaseStatusClient::Impl {
    explicit Impl(const ForwarderConfig& config)
        : url(config.centralUrl + std::string(protocol::CASE_STATUS_PATH))
    {
        configureCentralTls(easy, config, resolve);
        easy.set(CURLOPT_WRITEFUNCTION, &appendBody);
    }

    std::string url;
    curl::MultiHandle multi;
    curl::EasyHandle easy;
    curl::StringList resolve;
    const std::atomic<bool> never { false };
};

CaseStatusClient::CaseStatusClient(const ForwarderConfig& config)
    : impl_(std::make_unique<Impl>(config))
{ }

CaseStatusClient::~CaseStatusClient() = default;

CaseStatusAnswer CaseStatusClient::query(
    std::string_view caseNumber, std::string_view verificationCode)
{
    std::string request = nlohmann::json {
        { "caseNumber", std::string(caseNumber) },
        { "verificationCode", std::string(verificationCode) }
    }.dump();
    curl::StringList headers;
    headers.append("Content-Type: application/json");
    headers.append("Accept: application/json");
    headers.append("Expect:");
    std::string body;
    auto& easy = impl_->easy;
    easy.set(CURLOPT_URL, impl_->url.c_str());
    easy.set(CURLOPT_HTTPHEADER, headers.get());
    easy.set(CURLOPT_POSTFIELDS, static_cast<const void*>(request.data()));
    easy.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
    easy.set(CURLOPT_WRITEDATA, static_cast<void*>(&body));
    const curl::PerformResult done = impl_->multi.perform(easy, impl_->never);
    easy.set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    easy.set(CURLOPT_POSTFIELDS, static_cast<const void*>(nullptr));
    easy.set(CURLOPT_WRITEDATA, static_cast<void*>(nullptr));
    OPENSSL_cleanse(request.data(), request.size());

    CaseStatusAnswer answer;
    if (done.code != CURLE_OK) {
        answer.reason = "curl " + std::to_string(done.code) + ": " + done.error;
        return answer;
    }
    answer.reason = "HTTP " + std::to_string(done.httpStatus);
    switch (done.httpStatus) {
    case 404:
        answer.outcome = CaseStatusOutcome::NOT_FOUND;
        return answer;
    case 400:
        answer.outcome = CaseStatusOutcome::MALFORMED;
        return answer;
    case 429: {
        curl_off_t seconds = 0;
        if (curl_easy_getinfo(easy.get(), CURLINFO_RETRY_AFTER, &seconds) != CURLE_OK) seconds = 0;
        answer.outcome = CaseStatusOutcome::RATE_LIMITED;
        // Like the forwarder: a central's Retry-After is believed up to an hour.
        answer.retryAfterSeconds = static_cast<long>(std::clamp<curl_off_t>(seconds, 0, 3600));
        return answer;
    }
    case 200:
        break;
    default:
        return answer; // UNREACHABLE: 5xx, 403 (our certificate), anything else
    }
    const auto json = nlohmann::json::parse(body, nullptr, false);
    CaseStatus& s = answer.status;
    const bool complete = json.is_object() && stringField(json, "caseNumber", s.caseNumber)
        && stringField(json, "status", s.status) && stringField(json, "statusText", s.statusText)
        && stringField(json, "statusAt", s.statusAt)
        && stringField(json, "receivedAt", s.receivedAt)
        && stringField(json, "initialReportDue", s.initialReportDue)
        && stringField(json, "resultReportDue", s.resultReportDue)
        && json.contains("resultExtensions") && json["resultExtensions"].is_number_integer();
    if (!complete) {
        answer.status = {};
        answer.reason += " without a case status";
        return answer;
    }
    s.resultExtensions = json["resultExtensions"].get<int>();
    answer.outcome = CaseStatusOutcome::FOUND;
    return answer;
}

} // namespace shensu::network
