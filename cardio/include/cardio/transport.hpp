// The seam between card logic and PC/SC: real readers implement it, tests script it.
#pragma once

#include "cardio/apdu.hpp"

#include <functional>

namespace shensu::cardio
{

class CardTransport
{
public:
    virtual ~CardTransport() = default;
    // One command, one response; 61xx / 6Cxx already handled. Throws CardError.
    virtual ResponseApdu transmit(const CommandApdu& command) = 0;
};

// One raw exchange with a card: an encoded command APDU out, "data || SW1 SW2" back. Throws
// CardError.
using RawExchange = std::function<Bytes(const Bytes& command)>;

// Sends `command` through `exchange` and follows the card's status words: 61xx → GET RESPONSE (Le =
// xx) until the card stops asking (at most MAX_GET_RESPONSES rounds, data concatenated); 6Cxx → the
// same command once more with Le = xx. Throws CardError(UNEXPECTED_RESPONSE) on a loop that does
// not end or an answer shorter than 2 bytes.
ResponseApdu transmitFollowingStatus(const RawExchange& exchange, const CommandApdu& command);

inline constexpr int MAX_GET_RESPONSES = 64;

} // namespace shensu::cardio
