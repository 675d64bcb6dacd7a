// Who filed: the filer block of a received filing against its signers (ARCHITECTURE §5.2). A
// citizen-certificate filer's filing carries the card's SignerInfo, a health-card filer's carries
// central's identity assertion, an anonymous filing carries neither.
#pragma once

#include "auth.hpp"

#include <network/identity_assertion.hpp>
#include <network/seal.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace shensu::central
{

struct FilerVerdict {
    int status = 0; // 0: accepted; else the HTTP status to answer (422, or 503 when central
                    // cannot judge a card right now: its MOICA CA or CRL is out of date)
    std::string reason; // the answer's error text, one per refusal (never personal data)
};

class FilerCheck
{
public:
    // auth: the login service (its MOICA CA, CRL and personnel directory), or null when central
    // runs without one (then no citizen-certificate filing is accepted). assertionCert: the
    // certificate central signs identity assertions with (its receipt certificate).
    FilerCheck(const AuthService* auth, const std::filesystem::path& assertionCert);

    // filing: the opened content (canonical JSON); kioskId: the TLS client's CN. The identity
    // assertion is judged at the filing's createdAt (a kiosk that was offline still delivers),
    // never later than now.
    FilerVerdict check(const network::OpenedEnvelope& opened, const std::string& kioskId,
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
    // The same with the content already parsed (nlohmann::json::parse(opened.content, nullptr,
    // false)), so that central parses each filing once.
    FilerVerdict check(const nlohmann::json& filing, const network::OpenedEnvelope& opened,
        const std::string& kioskId,
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

private:
    const AuthService* auth_;
    network::AssertionVerifier assertions_;
};

} // namespace shensu::central
