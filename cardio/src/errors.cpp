// Names of card error codes and the CardError type.
#include "cardio/errors.hpp"

namespace shensu::cardio
{

const char* toString(CardErrorCode code) noexcept
{
    switch (code) {
    case CardErrorCode::SERVICE_UNAVAILABLE:
        return "SERVICE_UNAVAILABLE";
    case CardErrorCode::NO_READERS:
        return "NO_READERS";
    case CardErrorCode::NO_CARD:
        return "NO_CARD";
    case CardErrorCode::CARD_REMOVED:
        return "CARD_REMOVED";
    case CardErrorCode::CARD_RESET:
        return "CARD_RESET";
    case CardErrorCode::COMMUNICATION_FAILED:
        return "COMMUNICATION_FAILED";
    case CardErrorCode::UNEXPECTED_RESPONSE:
        return "UNEXPECTED_RESPONSE";
    case CardErrorCode::REFUSED:
        return "REFUSED";
    case CardErrorCode::UNSUPPORTED_CARD:
        return "UNSUPPORTED_CARD";
    case CardErrorCode::CANCELLED:
        return "CANCELLED";
    case CardErrorCode::PIN_INCORRECT:
        return "PIN_INCORRECT";
    case CardErrorCode::PIN_LOCKED:
        return "PIN_LOCKED";
    case CardErrorCode::PIN_LEN_RANGE:
        return "PIN_LEN_RANGE";
    case CardErrorCode::PIN_INVALID:
        return "PIN_INVALID";
    case CardErrorCode::PIN_EXPIRED:
        return "PIN_EXPIRED";
    case CardErrorCode::MODULE_UNAVAILABLE:
        return "MODULE_UNAVAILABLE";
    case CardErrorCode::NO_CERTIFICATE:
        return "NO_CERTIFICATE";
    case CardErrorCode::PIN_PAD_TIMEOUT:
        return "PIN_PAD_TIMEOUT";
    case CardErrorCode::INTERNAL:
        return "INTERNAL";
    }
    return "?";
}

CardError::CardError(CardErrorCode code, const std::string& what, long pcscCode)
    : std::runtime_error(std::string(toString(code)) + ": " + what)
    , code_(code)
    , pcscCode_(pcscCode)
{ }

} // namespace shensu::cardio
