// A card that answers from a script of (expected command, raw response) pairs — the libpcsc-mock
// idea, without PC/SC.
#pragma once

#include "cardio/transport.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace shensu::cardio::test
{

// Each step: the command the card must receive (hex) and what it answers (hex, data || SW).
struct ScriptStep {
    std::string command;
    std::string response;
};

class ScriptedCard : public CardTransport
{
public:
    explicit ScriptedCard(std::vector<ScriptStep> script)
        : script_(std::move(script))
    { }

    // The raw exchange: checks the command against the script, answers the scripted bytes.
    Bytes exchange(const Bytes& command)
    {
        INFO("step " << next_ << ", command " << toHex(command));
        REQUIRE(next_ < script_.size());
        const ScriptStep& step = script_[next_++];
        CHECK(toHex(command) == toHex(fromHex(step.command)));
        return fromHex(step.response);
    }

    ResponseApdu transmit(const CommandApdu& command) override
    {
        return transmitFollowingStatus([this](const Bytes& raw) { return exchange(raw); }, command);
    }

    bool finished() const { return next_ == script_.size(); }

private:
    std::vector<ScriptStep> script_;
    std::size_t next_ = 0;
};

} // namespace shensu::cardio::test
