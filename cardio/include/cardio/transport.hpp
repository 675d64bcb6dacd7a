// The seam between card logic and PC/SC: real readers implement it, tests script it.
#pragma once

#include "cardio/apdu.hpp"

namespace shensu::cardio
{

class CardTransport
{
public:
    virtual ~CardTransport() = default;
    // One command, one response; 61xx / 6Cxx already handled. Throws CardError.
    virtual ResponseApdu transmit(const CommandApdu& command) = 0;
};

} // namespace shensu::cardio
