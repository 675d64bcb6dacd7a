// The NHI basic-data record: a good synthetic card, and every way a record can be wrong.
#include "cardio/errors.hpp"
#include "cardio/health_card.hpp"
#include "scripted_card.hpp"

#include <string_view>

using namespace shensu::cardio;
using shensu::cardio::test::ScriptedCard;

namespace
{
// The synthetic card of contract 1: 000012345678, 林測試 (Big5 AA4C B4FA B8D5), Z100000001,
// 0790101, M, 1100315.
Bytes goodRecord()
{
    auto ascii = [](Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
    Bytes r;
    ascii(r, "000012345678");
    const Bytes name = fromHex("AA 4C B4 FA B8 D5");
    r.insert(r.end(), name.begin(), name.end());
    r.resize(32, 0x00);
    ascii(r, "Z100000001");
    ascii(r, "0790101");
    ascii(r, "M");
    ascii(r, "1100315");
    return r;
}

Bytes with(Bytes record, std::size_t at, std::string_view text)
{
    std::copy(text.begin(), text.end(), record.begin() + static_cast<std::ptrdiff_t>(at));
    return record;
}

CardErrorCode errorOf(const Bytes& record)
{
    try {
        parseHealthCardBasicData(record);
    } catch (const CardError& error) {
        return error.code();
    }
    FAIL("the record was accepted");
    return CardErrorCode::INTERNAL;
}

constexpr const char* SELECT_NHI
    = "00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00 00";
constexpr const char* GET_BASIC_DATA = "00 CA 11 00 02 00 00";
} // namespace

TEST_CASE("a good record gives the card number, the Big5 name in UTF-8, the ID, dates and sex",
    "[health]")
{
    const HealthCardData data = parseHealthCardBasicData(goodRecord());
    CHECK(data.cardNumber == "000012345678");
    CHECK(data.name == "林測試");
    CHECK(data.idNumber == "Z100000001");
    CHECK(data.birthDate == RocDate { 79, 1, 1 });
    CHECK(data.birthDate.gregorianYear() == 1990);
    CHECK(data.sex == 'M');
    CHECK(data.issueDate == RocDate { 110, 3, 15 });
}

TEST_CASE("a name padded with spaces instead of NULs reads the same", "[health]")
{
    Bytes record = goodRecord();
    std::fill(record.begin() + 18, record.begin() + 32, std::uint8_t { ' ' });
    CHECK(parseHealthCardBasicData(record).name == "林測試");
}

TEST_CASE("a record shorter than 57 bytes is an unexpected response", "[health]")
{
    Bytes record = goodRecord();
    record.pop_back();
    CHECK(errorOf(record) == CardErrorCode::UNEXPECTED_RESPONSE);
    CHECK(errorOf({}) == CardErrorCode::UNEXPECTED_RESPONSE);
}

TEST_CASE("garbled bytes in the card number are refused", "[health]")
{
    Bytes record = goodRecord();
    record[3] = 0xFF;
    CHECK(errorOf(record) == CardErrorCode::UNEXPECTED_RESPONSE);
    CHECK(errorOf(with(goodRecord(), 0, "00001234567A")) == CardErrorCode::UNEXPECTED_RESPONSE);
}

TEST_CASE("ROC dates that are not calendar dates are refused", "[health]")
{
    CHECK(errorOf(with(goodRecord(), 42, "0791301"))
        == CardErrorCode::UNEXPECTED_RESPONSE); // month 13
    CHECK(
        errorOf(with(goodRecord(), 42, "0790100")) == CardErrorCode::UNEXPECTED_RESPONSE); // day 0
    CHECK(errorOf(with(goodRecord(), 42, "1120229"))
        == CardErrorCode::UNEXPECTED_RESPONSE); // 2023 is no leap year
    CHECK(errorOf(with(goodRecord(), 50, "11003 5")) == CardErrorCode::UNEXPECTED_RESPONSE);
    CHECK(errorOf(with(goodRecord(), 50, "0000315"))
        == CardErrorCode::UNEXPECTED_RESPONSE); // ROC year 0
    CHECK(parseHealthCardBasicData(with(goodRecord(), 42, "1090229")).birthDate
        == RocDate { 109, 2, 29 }); // 2020
}

TEST_CASE("a sex byte other than M or F is refused", "[health]")
{
    CHECK(errorOf(with(goodRecord(), 49, "X")) == CardErrorCode::UNEXPECTED_RESPONSE);
    CHECK(parseHealthCardBasicData(with(goodRecord(), 49, "F")).sex == 'F');
}

TEST_CASE("a name that is not valid Big5 is refused", "[health]")
{
    Bytes lone = goodRecord();
    lone[18] = 0xAA; // a lead byte with no trail byte before the NUL padding
    CHECK(errorOf(lone) == CardErrorCode::UNEXPECTED_RESPONSE);
    Bytes invalid = goodRecord();
    invalid[12] = 0xFF;
    invalid[13] = 0xFF;
    CHECK(errorOf(invalid) == CardErrorCode::UNEXPECTED_RESPONSE);
}

TEST_CASE("an ID number with lower-case or punctuation is refused", "[health]")
{
    CHECK(errorOf(with(goodRecord(), 32, "z100000001")) == CardErrorCode::UNEXPECTED_RESPONSE);
    CHECK(errorOf(with(goodRecord(), 32, "Z10000000-")) == CardErrorCode::UNEXPECTED_RESPONSE);
}

TEST_CASE("error messages never carry the card's data", "[health]")
{
    try {
        parseHealthCardBasicData(with(goodRecord(), 49, "X"));
        FAIL("accepted");
    } catch (const CardError& error) {
        const std::string what = error.what();
        CHECK(what.find("000012345678") == std::string::npos);
        CHECK(what.find("Z100000001") == std::string::npos);
    }
}

TEST_CASE("readHealthCard selects the NHI application, then asks for the basic data", "[health]")
{
    ScriptedCard card(
        { { SELECT_NHI, "90 00" }, { GET_BASIC_DATA, toHex(goodRecord()) + " 90 00" } });
    CHECK(readHealthCard(card).idNumber == "Z100000001");
    CHECK(card.finished());
}

TEST_CASE("a card that refuses the NHI SELECT is never asked for data", "[health]")
{
    ScriptedCard card(std::vector<shensu::cardio::test::ScriptStep> { { SELECT_NHI, "6A 82" } });
    try {
        readHealthCard(card);
        FAIL("accepted");
    } catch (const CardError& error) {
        CHECK(error.code() == CardErrorCode::REFUSED);
    }
    CHECK(card.finished());
}

TEST_CASE("a refused basic-data GET DATA is a refusal, not a parse error", "[health]")
{
    ScriptedCard card({ { SELECT_NHI, "90 00" }, { GET_BASIC_DATA, "69 82" } });
    try {
        readHealthCard(card);
        FAIL("accepted");
    } catch (const CardError& error) {
        CHECK(error.code() == CardErrorCode::REFUSED);
    }
}

TEST_CASE("a basic record delivered through 61xx is reassembled before parsing", "[health]")
{
    const std::string record = toHex(goodRecord());
    ScriptedCard card({ { SELECT_NHI, "61 00" }, { "00 C0 00 00 00", "90 00" },
        { GET_BASIC_DATA, record.substr(0, std::size_t { 30 } * 3) + "61 1B" },
        { "00 C0 00 00 1B", record.substr(std::size_t { 30 } * 3) + " 90 00" } });
    CHECK(readHealthCard(card).name == "林測試");
}
