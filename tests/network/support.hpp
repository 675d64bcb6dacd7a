// Test support for the network tests only: forwarder configs for the shared test PKI, forwarder
// results collected across threads, shape matching, synthetic filings. The generic parts (temp
// dirs, run(), files, the PKI, a real central) are in tests/support.
#pragma once

#include "central.hpp"
#include "forwarder_config.hpp"
#include "pki.hpp"
#include "process.hpp"

#include <network/forwarder.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace shensu::testing
{

// A forwarder config for pkiDir() and a central on 127.0.0.1:port (delays short so tests are
// quick).
network::ForwarderConfig forwarderConfig(const std::filesystem::path& outbox, int port);

// Collects forwarder results across threads.
class ResultLog
{
public:
    void operator()(const network::ForwardResult& r);
    // Waits for the n-th result (1-based) up to timeout; nullopt if it did not come.
    std::optional<network::ForwardResult> waitFor(std::size_t n, std::chrono::milliseconds timeout);
    std::size_t size() const;
    // When each result arrived.
    std::vector<std::chrono::steady_clock::time_point> times() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<network::ForwardResult> results_;
    std::vector<std::chrono::steady_clock::time_point> times_;
};

// True if text has exactly the shape of pattern, where '9' is any digit, 'x' any lower-case hex
// digit and every other character stands for itself. (Not std::regex: g++ 12 warns inside it under
// the sanitizers.)
bool matchesShape(const std::string& text, const std::string& pattern);

// A synthetic filing: clearly fake person, no real data.
nlohmann::json syntheticFiling(const std::string& marker = "");

// What a curl command line got from central.
struct Http {
    int curlExit;
    int status;
    nlohmann::json body;
    std::string raw; // the body as received
    std::string headers; // the response headers as received (when asked for)
};
// A TLS client certificate and its key (PEM files).
struct ClientIdentity {
    std::filesystem::path cert;
    std::filesystem::path key;
};
// The test PKI's kiosk device certificate and key pki/<stem>.{pem,key}: "kiosk-device"
// (KIOSK-TEST-01) or "kiosk-device-2" (KIOSK-TEST-02).
ClientIdentity kioskIdentity(const std::string& stem);
// A socket listening on 127.0.0.1 at a free port (written to *port) that never accepts by itself.
int loopbackListener(int backlog, int* port);
// POSTs a file with the curl CLI as the kiosk (client cert unless withoutClientCert).
Http post(const RunningCentral& central, const std::string& path,
    const std::filesystem::path& bodyFile, const std::vector<std::string>& headers,
    bool withoutClientCert = false);
// The same as another kiosk (its certificate on the TLS connection).
Http post(const RunningCentral& central, const std::string& path,
    const std::filesystem::path& bodyFile, const std::vector<std::string>& headers,
    const ClientIdentity& as);
// POST /v1/cases/status with {caseNumber, verificationCode}; bodyFile is written. As the test
// kiosk (KIOSK-TEST-01) unless another identity is given.
Http queryStatus(const RunningCentral& central, const std::filesystem::path& bodyFile,
    const std::string& caseNumber, const std::string& verificationCode,
    const ClientIdentity* as = nullptr);
// The DER envelope of syntheticFiling(marker), sealed as kiosk-device to central-encryption.
std::string sealFiling(const std::string& marker);
// The DER envelope of filing sealed as kiosk-device to central-encryption, with a card signer
// when one is given.
std::string sealFiling(const nlohmann::json& filing, const network::CardSigner& cardSigner);

// A card signer with a software key (a test stand-in for the citizen card's PKCS#11 C_Sign: the
// same RSA PKCS#1 v1.5 SHA-256 signature, certificate and key from make-test-pki, e.g.
// citizen.pem / citizen.key). Counts its calls in *calls when given.
network::CardSigner softwareCardSigner(const std::filesystem::path& certificatePem,
    const std::filesystem::path& keyPem, int* calls = nullptr);
inline constexpr const char* CMS = "Content-Type: application/cms";

// The filings central holds, opened with its encryption key as central would (what really
// arrived), oldest first, with their Idempotency-Keys.
struct ArrivedFiling {
    std::string idempotencyKey;
    nlohmann::json filing;
};
std::vector<ArrivedFiling> arrivedFilings(const std::filesystem::path& centralDb);

} // namespace shensu::testing
