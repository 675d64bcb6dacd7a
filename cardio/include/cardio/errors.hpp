// Typed card errors: every PC/SC return code and every bad card answer becomes one of these.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace shensu::cardio
{

// One flat list the kiosk maps to a message; kept small on purpose (Web eID's RetriableError idea).
enum class CardErrorCode {
    SERVICE_UNAVAILABLE, // pcscd not running or unreachable
    NO_READERS, // no reader connected
    NO_CARD, // the reader is empty
    CARD_REMOVED, // the card left the reader during the operation
    CARD_RESET, // someone else reset the card; reconnect
    COMMUNICATION_FAILED, // the reader or card stopped answering
    UNEXPECTED_RESPONSE, // the card answered something we cannot parse (short, garbled)
    REFUSED, // the card answered with an error status word
    UNSUPPORTED_CARD, // not a card this kiosk knows
    CANCELLED, // an operation was cancelled (shutdown)
    PIN_INCORRECT, // the card refused the PIN; a try was spent
    PIN_LOCKED, // the PIN is blocked: the card must be unblocked elsewhere (MOICA, GCA)
    PIN_LEN_RANGE, // the PIN is too short or too long for the card; no try was spent
    PIN_INVALID, // the PIN has characters the card does not take; not a wrong PIN, no try counted
    PIN_EXPIRED, // the PIN is right but expired: it must be changed elsewhere, not at the kiosk
    MODULE_UNAVAILABLE, // the PKCS#11 module is missing, unloadable or broken (configuration)
    NO_CERTIFICATE, // the token shows no certificate that parses (corrupt): found before any PIN
    PIN_PAD_TIMEOUT, // nobody typed the PIN on the reader's keypad in time; no try was spent
    INTERNAL, // a programming or environment error
};

const char* toString(CardErrorCode code) noexcept;

class CardError : public std::runtime_error
{
public:
    CardError(CardErrorCode code, const std::string& what, long pcscCode = 0);

    CardErrorCode code() const noexcept { return code_; }
    // The raw PC/SC return code, for logs only (0 when the error did not come from PC/SC).
    long pcscCode() const noexcept { return pcscCode_; }

private:
    CardErrorCode code_;
    long pcscCode_;
};

} // namespace shensu::cardio
