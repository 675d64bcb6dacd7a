// Card identification by ATR: exact entries, masked families, and everything else.
#include "cardio/atr.hpp"

#include <catch2/catch.hpp>

using namespace shensu::cardio;

TEST_CASE("both known MOICA ATRs identify a citizen card", "[atr]")
{
    CHECK(identifyCard(fromHex("3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5"))
        == CardKind::CITIZEN_CARD);
    CHECK(identifyCard(fromHex("3B 8B 80 01 00 31 C1 64 08 40 21 30 00 90 00 57"))
        == CardKind::CITIZEN_CARD);
}

TEST_CASE("the simulator's PIV card counts as a citizen card", "[atr]")
{
    CHECK(identifyCard(fromHex("3B 8B 80 01 80 F9 A0 00 00 03 08 00 00 10 00 C8"))
        == CardKind::CITIZEN_CARD);
}

TEST_CASE("the simulator's health card ATR and its masked siblings identify a health card", "[atr]")
{
    const Bytes simulator
        = fromHex("3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 48 4E 32 24");
    CHECK(identifyCard(simulator) == CardKind::HEALTH_CARD);
    CHECK(identifyCard(
              fromHex("3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 49 4E 31 26"))
        == CardKind::HEALTH_CARD);
    CHECK(identifyCard(fromHex("3B FA 18 00 00 81 31 FE 45 53 4C 4A 35 32 47 78 78 79 79 FC"))
        == CardKind::HEALTH_CARD);
}

TEST_CASE("a masked entry still insists on every unmasked byte and on the length", "[atr]")
{
    // "THCC" → "THCD": an unmasked historical byte differs.
    CHECK(identifyCard(
              fromHex("3B FF 18 00 FF 81 31 FE 45 54 48 43 44 31 30 54 45 43 4F 47 44 48 4E 32 24"))
        == CardKind::UNKNOWN);
    CHECK(identifyCard(
              fromHex("3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 48 4E 32"))
        == CardKind::UNKNOWN);
}

TEST_CASE("an ATR in no table entry is an unknown card", "[atr]")
{
    CHECK(
        identifyCard(fromHex("3B 8A 80 01 53 48 45 4E 53 55 2D 55 4E 4B 60")) == CardKind::UNKNOWN);
    CHECK(identifyCard({}) == CardKind::UNKNOWN);
    CHECK(std::string(toString(CardKind::HEALTH_CARD)) == "HEALTH_CARD");
}
