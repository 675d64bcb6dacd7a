// The 61xx / 6Cxx status-word handling, over any raw exchange (PC/SC or a test script).
#include "cardio/transport.hpp"

#include "cardio/errors.hpp"

namespace shensu::cardio
{

ResponseApdu transmitFollowingStatus(const RawExchange& exchange, const CommandApdu& command)
{
    ResponseApdu response = ResponseApdu::parse(exchange(command.encode()));

    if (response.sw1 == 0x6C) {
        // Wrong Le: the card tells us the right one; resend once (a second 6Cxx is returned as is).
        CommandApdu again = command;
        again.le = response.sw2;
        response = ResponseApdu::parse(exchange(again.encode()));
    }

    Bytes collected = std::move(response.data);
    int rounds = 0;
    while (response.sw1 == 0x61) {
        if (++rounds > MAX_GET_RESPONSES) {
            throw CardError(
                CardErrorCode::UNEXPECTED_RESPONSE, "card keeps answering 61xx to GET RESPONSE");
        }
        const CommandApdu getResponse { .cla
            = static_cast<std::uint8_t>(
                command.cla & 0x03), // keep the logical channel, drop chaining/SM bits
            .ins = 0xC0,
            .p1 = 0x00,
            .p2 = 0x00,
            .data = {},
            .le = response.sw2 };
        response = ResponseApdu::parse(exchange(getResponse.encode()));
        collected.insert(collected.end(), response.data.begin(), response.data.end());
    }
    response.data = std::move(collected);
    return response;
}

} // namespace shensu::cardio
