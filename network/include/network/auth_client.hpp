// The kiosk's login calls to central (protocol v1 /v1/auth/*, /work/notes/s7-auth-contract.md):
// a challenge for the citizen card to sign, the card login, the health-card password login.
#pragma once

#include <network/forwarder.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shensu::network
{

// The exact bytes the citizen card signs (CKM_SHA256_RSA_PKCS) for a login:
//   "shensu-card-login-v1:" + challengeId + ":" + nonce        (nonce = the base64 text as
//   received)
std::string cardLoginMessage(std::string_view challengeId, std::string_view nonce);

struct Challenge {
    std::string challengeId;
    std::string nonce; // base64 of 32 random bytes, as received
    std::string expiresAt; // ISO 8601 UTC; central refuses the challenge after it (120 s)
};

// How a call ended. UNAVAILABLE is never a verdict on the person: central could not be reached,
// was not our central (serverRefused), or answered something that is not the protocol.
enum class AuthStatus { OK, REFUSED, UNAVAILABLE };

struct Unavailable {
    std::string reason; // technician text: curl code and message, or HTTP status; never a body
    bool serverRefused = false; // central's certificate or host name failed verification
};

// The refusals of /v1/auth/card (seed 003), one kiosk screen each.
enum class CardRefusal {
    CERTIFICATE_INVALID, // chain does not reach the MOICA CA, unparsable, wrong key usage
    CERTIFICATE_EXPIRED, // outside notBefore/notAfter
    CERTIFICATE_REVOKED, // on the MOICA CRL
    NOT_IN_PERSONNEL, // no personnel-directory entry for this certificate
    DEPARTED, // the entry is 卸職
    OWNER_MISMATCH, // the entry's person is not the certificate's holder
    BAD_SIGNATURE, // the signature does not verify over cardLoginMessage()
    CHALLENGE_INVALID, // unknown, used, expired, or another kiosk's challenge
};

struct CardLoginAnswer {
    AuthStatus status = AuthStatus::UNAVAILABLE;
    std::string name; // OK
    std::string agency; // OK
    CardRefusal refusal = CardRefusal::CERTIFICATE_INVALID; // REFUSED
    Unavailable unavailable; // UNAVAILABLE
    bool ok() const noexcept { return status == AuthStatus::OK; }
};

enum class NhiRefusal {
    WRONG_PASSWORD, // triesLeft more before the card is locked at central
    LOCKED, // too many wrong passwords: even the right one is refused now
    NOT_REGISTERED, // no registration password for this card number at central
};

struct NhiLoginAnswer {
    AuthStatus status = AuthStatus::UNAVAILABLE;
    std::string name; // OK
    std::string agency; // OK
    NhiRefusal refusal = NhiRefusal::WRONG_PASSWORD; // REFUSED
    int triesLeft = 0; // REFUSED with WRONG_PASSWORD (≥ 1)
    Unavailable unavailable; // UNAVAILABLE
    bool ok() const noexcept { return status == AuthStatus::OK; }
};

// Thrown by challenge() when no challenge could be had (the UNAVAILABLE case of the others).
class AuthUnavailable : public std::runtime_error
{
public:
    AuthUnavailable(const Unavailable& why)
        : std::runtime_error(why.reason)
        , unavailable(why)
    { }
    Unavailable unavailable;
};

// Blocking calls with the forwarder's TLS settings (TLS 1.3, pinned central CA, device certificate,
// RESOLVE); only centralUrl, centralResolve, centralCaCert, clientCert and clientKey of the config
// are used. Connect timeout 3 s, whole call 15 s. One thread at a time (the kiosk's network
// worker); the TLS connection is kept between calls.
class CentralAuth
{
public:
    explicit CentralAuth(const ForwarderConfig& config);
    ~CentralAuth();
    CentralAuth(const CentralAuth&) = delete;
    CentralAuth& operator=(const CentralAuth&) = delete;

    Challenge challenge(); // throws AuthUnavailable
    CardLoginAnswer cardLogin(
        const Challenge& challenge, std::string_view certificateDer, std::string_view signature);
    // password is sent once and not kept (the request buffer is cleansed after the call).
    NhiLoginAnswer nhiLogin(std::string_view cardNumber, std::string_view password);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Wire codes, for logs and tests: "certificate_revoked", "wrong_password", ...
std::string_view cardRefusalCode(CardRefusal refusal);
std::optional<CardRefusal> parseCardRefusal(std::string_view code);

} // namespace shensu::network
