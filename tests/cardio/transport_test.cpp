// The 61xx / 6Cxx status-word dance, against a scripted card.
#include "cardio/errors.hpp"
#include "pcsc_call.hpp"
#include "scripted_card.hpp"

using namespace shensu::cardio;
using shensu::cardio::test::ScriptedCard;

TEST_CASE(
    "61xx answers are followed with GET RESPONSE until the card has nothing left", "[transport]")
{
    ScriptedCard card({
        { "00 CB 3F FF 03 5C 01 7E 00", "AA BB 61 03" },
        { "00 C0 00 00 03", "CC DD EE 61 00" },
        { "00 C0 00 00 00", "FF 90 00" },
    });
    const ResponseApdu r = card.transmit({ 0x00, 0xCB, 0x3F, 0xFF, { 0x5C, 0x01, 0x7E }, 0 });
    CHECK(toHex(r.data) == "AA BB CC DD EE FF");
    CHECK(r.sw() == 0x9000);
    CHECK(card.finished());
}

TEST_CASE("a 6Cxx answer makes the command go again with the Le the card asked for", "[transport]")
{
    ScriptedCard card({
        { "00 B0 00 00 00", "6C 02" },
        { "00 B0 00 00 02", "12 34 90 00" },
    });
    const ResponseApdu r = card.transmit({ 0x00, 0xB0, 0x00, 0x00, {}, 0 });
    CHECK(toHex(r.data) == "12 34");
    CHECK(r.ok());
    CHECK(card.finished());
}

TEST_CASE("GET RESPONSE keeps the logical channel of the command", "[transport]")
{
    ScriptedCard card({
        { "01 CA 01 00 00", "61 01" },
        { "01 C0 00 00 01", "AB 90 00" },
    });
    CHECK(toHex(card.transmit({ 0x01, 0xCA, 0x01, 0x00, {}, 0 }).data) == "AB");
}

TEST_CASE("a card that answers 61xx forever is cut off with an unexpected response", "[transport]")
{
    int exchanges = 0;
    const RawExchange endless = [&exchanges](const Bytes&) {
        ++exchanges;
        return Bytes { 0x00, 0x61, 0x01 };
    };
    try {
        transmitFollowingStatus(endless, { 0x00, 0xCA, 0x01, 0x00, {}, 0 });
        FAIL("no error");
    } catch (const CardError& error) {
        CHECK(error.code() == CardErrorCode::UNEXPECTED_RESPONSE);
    }
    CHECK(exchanges == MAX_GET_RESPONSES + 1);
}

TEST_CASE("error status words come back as they are, without retries", "[transport]")
{
    ScriptedCard card(
        std::vector<shensu::cardio::test::ScriptStep> { { "00 A4 04 00 02 A0 00 00", "6A 82" } });
    const ResponseApdu r = card.transmit({ 0x00, 0xA4, 0x04, 0x00, { 0xA0, 0x00 }, 0 });
    CHECK(r.sw() == 0x6A82);
    CHECK(card.finished());
}

TEST_CASE("PC/SC return codes map to the errors the kiosk can explain", "[pcsc]")
{
    using detail::cardErrorCodeFor;
    CHECK(cardErrorCodeFor(SCARD_E_NO_SERVICE) == CardErrorCode::SERVICE_UNAVAILABLE);
    CHECK(cardErrorCodeFor(SCARD_E_SERVICE_STOPPED) == CardErrorCode::SERVICE_UNAVAILABLE);
    CHECK(cardErrorCodeFor(SCARD_E_NO_READERS_AVAILABLE) == CardErrorCode::NO_READERS);
    CHECK(cardErrorCodeFor(SCARD_E_NO_SMARTCARD) == CardErrorCode::NO_CARD);
    CHECK(cardErrorCodeFor(SCARD_W_REMOVED_CARD) == CardErrorCode::CARD_REMOVED);
    CHECK(cardErrorCodeFor(SCARD_W_RESET_CARD) == CardErrorCode::CARD_RESET);
    CHECK(cardErrorCodeFor(SCARD_E_CANCELLED) == CardErrorCode::CANCELLED);
    CHECK(cardErrorCodeFor(SCARD_E_NOT_TRANSACTED) == CardErrorCode::COMMUNICATION_FAILED);
    CHECK(cardErrorCodeFor(SCARD_F_COMM_ERROR)
        == CardErrorCode::SERVICE_UNAVAILABLE); // pcscd's socket broke
    CHECK(cardErrorCodeFor(SCARD_E_COMM_DATA_LOST) == CardErrorCode::COMMUNICATION_FAILED);
    CHECK(cardErrorCodeFor(SCARD_W_UNRESPONSIVE_CARD) == CardErrorCode::COMMUNICATION_FAILED);
    CHECK(cardErrorCodeFor(SCARD_E_INVALID_PARAMETER) == CardErrorCode::INTERNAL);
}
