// Hex and APDU values: what goes on the wire and how answers are split.
#include "cardio/apdu.hpp"
#include "cardio/errors.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace shensu::cardio;

TEST_CASE("hex reads spaced, packed and lower-case input and writes spaced upper case", "[bytes]")
{
    CHECK(fromHex("3B 8b80") == Bytes { 0x3B, 0x8B, 0x80 });
    CHECK(fromHex("3b:8b:80") == Bytes { 0x3B, 0x8B, 0x80 });
    CHECK(fromHex("").empty());
    CHECK(toHex({ 0x3B, 0x0A, 0xFF }) == "3B 0A FF");
    CHECK(toHex({}).empty());
}

TEST_CASE("hex refuses odd lengths, stray characters and separators inside a byte", "[bytes]")
{
    CHECK_THROWS_AS(fromHex("3B8"), std::invalid_argument);
    CHECK_THROWS_AS(fromHex("3G"), std::invalid_argument);
    CHECK_THROWS_AS(fromHex("3 B"), std::invalid_argument);
}

TEST_CASE("command APDUs encode all four ISO cases", "[apdu]")
{
    CHECK(toHex(CommandApdu { 0x00, 0x20, 0x00, 0x80, {}, {} }.encode()) == "00 20 00 80");
    CHECK(toHex(CommandApdu { 0x00, 0xC0, 0x00, 0x00, {}, 0x10 }.encode()) == "00 C0 00 00 10");
    CHECK(toHex(CommandApdu { 0x00, 0xCA, 0x11, 0x00, { 0x00, 0x00 }, {} }.encode())
        == "00 CA 11 00 02 00 00");
    CHECK(toHex(CommandApdu { 0x00, 0xA4, 0x04, 0x00, { 0xD1, 0x58 }, 0 }.encode())
        == "00 A4 04 00 02 D1 58 00");
}

TEST_CASE(
    "an Le of 256 is written as 00 and anything longer than a short APDU is refused", "[apdu]")
{
    CHECK(toHex(CommandApdu { 0x00, 0xB0, 0x00, 0x00, {}, 256 }.encode()) == "00 B0 00 00 00");
    CHECK_THROWS_AS(
        (CommandApdu { 0x00, 0xD6, 0x00, 0x00, Bytes(256, 0x00), {} }.encode()), std::length_error);
    CHECK_THROWS_AS((CommandApdu { 0x00, 0xB0, 0x00, 0x00, {}, 257 }.encode()), std::length_error);
}

TEST_CASE("a response splits into data and status word", "[apdu]")
{
    const ResponseApdu r = ResponseApdu::parse({ 0x01, 0x02, 0x90, 0x00 });
    CHECK(r.data == Bytes { 0x01, 0x02 });
    CHECK(r.sw() == 0x9000);
    CHECK(r.ok());
    const ResponseApdu refused = ResponseApdu::parse({ 0x6A, 0x82 });
    CHECK(refused.data.empty());
    CHECK(refused.sw() == 0x6A82);
    CHECK_FALSE(refused.ok());
}

TEST_CASE("a response without a status word is an unexpected response", "[apdu]")
{
    try {
        ResponseApdu::parse({ 0x90 });
        FAIL("parse accepted one byte");
    } catch (const CardError& error) {
        CHECK(error.code() == CardErrorCode::UNEXPECTED_RESPONSE);
    }
}
