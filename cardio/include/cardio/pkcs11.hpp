// The citizen certificate card through a PKCS#11 module (HiCOS in production, OpenSC for the
// simulated PIV card): load the module, find the token in a PC/SC reader, read its PIN tries, log
// in with a Pin, read the certificate, sign, log out. Every CKR_ becomes a CardError; no CK_ type
// or raw return code leaves src/. Use from one thread only (the kiosk's card worker).
#pragma once

#include "cardio/bytes.hpp"
#include "cardio/pin.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::cardio
{

// What the token's flags say about the user PIN (CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED).
struct TokenPinFlags {
    bool countLow = false;
    bool finalTry = false;
    bool locked = false;
};

struct TokenInfo {
    std::string label;
    std::string manufacturer;
    std::string model;
    std::string serial; // not personal by itself, but only its hash is ever stored
    TokenPinFlags pin;
    std::size_t minPinLength = 0;
    std::size_t maxPinLength = 0;
    bool protectedAuthenticationPath = false; // the reader has its own PIN pad
};

// The loaded module: dlopen + C_Initialize; C_Finalize + dlclose on destruction.
class Pkcs11Module
{
public:
    // Throws CardError MODULE_UNAVAILABLE when the file cannot be loaded or is not a PKCS#11
    // module.
    explicit Pkcs11Module(const std::filesystem::path& file);
    ~Pkcs11Module();
    Pkcs11Module(const Pkcs11Module&) = delete;
    Pkcs11Module& operator=(const Pkcs11Module&) = delete;

    // Slots that hold a token now: (slot id, slot description).
    std::vector<std::pair<unsigned long, std::string>> tokenSlots();
    // The slot whose token sits in this PC/SC reader: its description (or manufacturer) names the
    // reader; with a single token and no name match, that one. Throws CardError NO_CARD.
    // The slot whose description names the reader. singleTokenFallback: a module that names its
    // slots its own way (HiCOS) may give the only token there is; pass true only when the caller
    // knows exactly one card is inserted anywhere.
    unsigned long slotForReader(const std::string& reader, bool singleTokenFallback = true);
    TokenInfo tokenInfo(unsigned long slot);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    friend class TokenSession;
};

// One read-only session on a token; logged out and closed on destruction.
class TokenSession
{
public:
    TokenSession(Pkcs11Module& module, unsigned long slot);
    ~TokenSession();
    TokenSession(const TokenSession&) = delete;
    TokenSession& operator=(const TokenSession&) = delete;

    // C_Login as the user. The PIN is wiped as soon as the module returns, whatever it answered.
    // Throws CardError PIN_INCORRECT / PIN_LOCKED / PIN_LEN_RANGE / CARD_REMOVED / ...
    void login(Pin& pin);
    // For a token with protectedAuthenticationPath (a PIN-pad reader the module drives itself):
    // C_Login with no PIN, the person types it on the reader. Same errors as login().
    void loginOnReaderPinPad();
    void logout() noexcept;
    bool loggedIn() const noexcept { return loggedIn_; }

    // The X.509 certificate (DER) that goes with the signing key (after login; CKA_ID "SIGN" first,
    // as on HiCOS, else the first key with CKA_SIGN that has a certificate).
    Bytes signingCertificate();
    // Before any login: whether the token shows an X.509 certificate that parses (certificates
    // are public objects on PIV and HiCOS). A card without one cannot log in, so it is refused
    // before a PIN is asked (a corrupt certificate must not cost a try).
    bool hasReadableCertificate();
    // RSA PKCS#1 v1.5 over SHA-256 of `message` (CKM_SHA256_RSA_PKCS) with that key.
    Bytes sign(std::string_view message);

private:
    struct Keys;
    void findSigningKey();
    Pkcs11Module& module_;
    unsigned long session_ = 0;
    bool loggedIn_ = false;
    std::optional<unsigned long> key_;
    Bytes certificate_;
};

// Where the demo and tests find OpenSC's module (Debian: /usr/lib/<triplet>/opensc-pkcs11.so or
// .../pkcs11/opensc-pkcs11.so); empty when not installed.
std::filesystem::path findOpenscModule();

// PIN tries the kiosk can vouch for. The token's flags are used where the module sets them; OpenSC
// 0.23 never sets COUNT_LOW and HiCOS may set nothing, so the kiosk also counts consecutive
// failures per card (keyed by SHA-256 of the token serial) and believes whichever says fewer. A
// module with no flags at all after the kiosk's third failure: blocked (no further PIN is sent).
struct PinTries {
    int left = 3;
    bool blocked = false;
};
inline constexpr int ASSUMED_PIN_TRIES = 3;

PinTries pinTries(const TokenPinFlags& flags, int kioskFailures) noexcept;

// Consecutive wrong PINs per card, durable across restarts: one small file, "hmachex count
// lastFailureUnixSeconds" per line, replaced atomically (write, fsync, rename, fsync of the
// directory). Cards are keyed by HMAC-SHA256 of the token serial under a random per-kiosk key
// (<file>.key, 0600, made on first use), so the file neither reveals nor links card serials
// without that key. Entries age out MAX_AGE after their last failure (a card unblocked elsewhere
// is usable here again). A token without a serial is not counted (all such cards would share one
// entry). Without a file it only counts in memory (with a key of its own).
class PinFailureCounter
{
public:
    static constexpr std::chrono::seconds MAX_AGE { std::chrono::hours(24 * 30) };

    explicit PinFailureCounter(std::filesystem::path file = {});
    int failures(std::string_view tokenSerial) const;
    void recordFailure(std::string_view tokenSerial);
    void recordSuccess(std::string_view tokenSerial);

    std::string keyFor(std::string_view tokenSerial) const; // hex HMAC-SHA256

private:
    struct Entry {
        std::string key;
        int count = 0;
        std::int64_t last = 0; // unix seconds of the last failure
    };
    void save() const;
    void dropAged();
    std::filesystem::path file_;
    std::string secret_; // the HMAC key
    std::vector<Entry> counts_;
};

} // namespace shensu::cardio
