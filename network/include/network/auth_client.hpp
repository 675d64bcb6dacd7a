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

// A health-card number as central takes it: 12 digits.
bool validCardNumber(std::string_view cardNumber);
// A health-card registration password as central takes it: 6–12 printable ASCII characters, no
// space. nhiLogin() checks this before anything is sent, so a person's typing never reaches
// central as a malformed request (which the kiosk could only show as an outage).
bool validNhiPassword(std::string_view password);

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
    // The server's certificate or host name failed verification (not our central). A problem with
    // the kiosk's own certificate or key, or with the pinned CA file, is not this.
    bool serverRefused = false;
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
    // Said by the kiosk itself, nothing sent: the typed password cannot be a registration
    // password (validNhiPassword). Not counted at central.
    MALFORMED_PASSWORD,
};

struct NhiLoginAnswer {
    AuthStatus status = AuthStatus::UNAVAILABLE;
    std::string name; // OK
    std::string agency; // OK
    NhiRefusal refusal = NhiRefusal::WRONG_PASSWORD; // REFUSED
    int triesLeft = 0; // REFUSED with WRONG_PASSWORD (≥ 1)
    // OK: central's signed identity assertion {"assertion","signature"} as received, for the
    // filing's filer block (network/identity_assertion.hpp); null if central sent none.
    nlohmann::json assertion;
    Unavailable unavailable; // UNAVAILABLE
    bool ok() const noexcept { return status == AuthStatus::OK; }
};

// What central says about a health card before any password is sent (POST /v1/auth/nhi/status).
enum class NhiCardState {
    OK, // triesLeft passwords may still be tried (the last one locks the card if wrong)
    LOCKED, // too many wrong passwords: no password is worth asking for
    NOT_REGISTERED, // no registration password for this card number at central
};
struct NhiStatusAnswer {
    AuthStatus status = AuthStatus::UNAVAILABLE; // OK = central answered (state says what)
    NhiCardState state = NhiCardState::OK;
    int triesLeft = 0; // OK with NhiCardState::OK (≥ 1)
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
    // An empty certificate (a card that gave none) is refused by central as certificate_invalid,
    // an empty signature as bad_signature.
    CardLoginAnswer cardLogin(
        const Challenge& challenge, std::string_view certificateDer, std::string_view signature);
    // A malformed password is REFUSED with MALFORMED_PASSWORD without a call; a card number that is
    // not 12 digits is UNAVAILABLE (a kiosk fault, not the person's). The password is sent once and
    // not kept: the request body is built in one buffer that is cleansed after the call. Best
    // effort: copies inside curl and OpenSSL (TLS record buffers) are not ours to wipe, nor is the
    // caller's string.
    NhiLoginAnswer nhiLogin(std::string_view cardNumber, std::string_view password);
    // The card's state at central before any password is asked for; counts nothing, sends no
    // password. A card number that is not 12 digits is UNAVAILABLE (a kiosk fault).
    NhiStatusAnswer nhiStatus(std::string_view cardNumber);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Wire codes, for logs and tests: "certificate_revoked", "wrong_password", ...
std::string_view cardRefusalCode(CardRefusal refusal);
std::optional<CardRefusal> parseCardRefusal(std::string_view code);

// The exact body nhiLogin() sends: {"cardNumber":"…","password":"…"} (JSON-escaped), built in one
// buffer reserved up front so that no reallocation leaves a copy of the password behind. For
// validNhiPassword() passwords and validCardNumber() numbers.
std::string nhiLoginBody(std::string_view cardNumber, std::string_view password);

} // namespace shensu::network
