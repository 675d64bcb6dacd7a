// The NHI health card: SELECT its application, GET DATA the 57-byte basic record, and check every
// field.
#include "cardio/health_card.hpp"

#include "big5.hpp"
#include "cardio/errors.hpp"
#include "cardio/transport.hpp"

#include <algorithm>

namespace shensu::cardio
{

namespace
{
    constexpr std::size_t RECORD_SIZE = 57;

    // Messages name the field and the problem, never the value: card data must not reach logs.
    [[noreturn]] void bad(const std::string& why)
    {
        throw CardError(CardErrorCode::UNEXPECTED_RESPONSE, "health card basic data: " + why);
    }

    bool isDigit(std::uint8_t c)
    {
        return c >= '0' && c <= '9';
    }

    bool isUpperAlnum(std::uint8_t c)
    {
        return isDigit(c) || (c >= 'A' && c <= 'Z');
    }

    std::string_view field(const Bytes& record, std::size_t begin, std::size_t end)
    {
        return { reinterpret_cast<const char*>(record.data()) + begin, end - begin };
    }

    int digitsValue(std::string_view digits)
    {
        int value = 0;
        for (char c : digits)
            value = value * 10 + (c - '0');
        return value;
    }

    bool isLeapYear(int year)
    {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    }

    RocDate parseRocDate(const Bytes& record, std::size_t begin, const char* name)
    {
        const std::string_view text = field(record, begin, begin + 7);
        if (!std::all_of(text.begin(), text.end(),
                [](char c) { return isDigit(static_cast<std::uint8_t>(c)); })) {
            bad(std::string(name) + " is not 7 digits (ROC YYYMMDD)");
        }
        RocDate date { digitsValue(text.substr(0, 3)), digitsValue(text.substr(3, 2)),
            digitsValue(text.substr(5, 2)) };
        static constexpr int DAYS[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (date.rocYear < 1 || date.month < 1 || date.month > 12)
            bad(std::string(name) + " is not a date");
        const int daysInMonth
            = DAYS[date.month - 1] + (date.month == 2 && isLeapYear(date.gregorianYear()) ? 1 : 0);
        if (date.day < 1 || date.day > daysInMonth) bad(std::string(name) + " is not a date");
        return date;
    }
} // namespace

HealthCardData parseHealthCardBasicData(const Bytes& record)
{
    if (record.size() < RECORD_SIZE) {
        bad("record has " + std::to_string(record.size()) + " bytes, expected "
            + std::to_string(RECORD_SIZE));
    }
    HealthCardData data;

    if (!std::all_of(record.begin(), record.begin() + 12, isDigit))
        bad("card number is not 12 digits");
    data.cardNumber = std::string(field(record, 0, 12));

    // Name: Big5, NUL-padded (some issuers pad with spaces); stop at the first NUL.
    std::string_view name = field(record, 12, 32);
    name = name.substr(0, name.find('\0'));
    while (!name.empty() && name.back() == ' ')
        name.remove_suffix(1);
    if (name.empty()) bad("name is empty");
    auto utf8 = detail::big5ToUtf8(name);
    if (!utf8) bad("name is not valid Big5");
    data.name = std::move(*utf8);

    if (!std::all_of(record.begin() + 32, record.begin() + 42, isUpperAlnum))
        bad("ID number is not 10 letters/digits");
    data.idNumber = std::string(field(record, 32, 42));

    data.birthDate = parseRocDate(record, 42, "birth date");

    const std::uint8_t sex = record[49];
    if (sex != 'M' && sex != 'F') bad("sex is neither M nor F");
    data.sex = static_cast<char>(sex);

    data.issueDate = parseRocDate(record, 50, "issue date");
    return data;
}

HealthCardData readHealthCard(CardTransport& card)
{
    const CommandApdu select { .cla = 0x00,
        .ins = 0xA4,
        .p1 = 0x04,
        .p2 = 0x00,
        .data = fromHex("D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00"),
        .le = 0 };
    const ResponseApdu selected = card.transmit(select);
    if (!selected.ok()) {
        throw CardError(CardErrorCode::REFUSED,
            "SELECT of the NHI application refused with SW "
                + toHex({ selected.sw1, selected.sw2 }));
    }

    // GET DATA, P1 = 11 (basic data), two data bytes 00 00, as every public NHI reader sends it.
    const CommandApdu getData {
        .cla = 0x00, .ins = 0xCA, .p1 = 0x11, .p2 = 0x00, .data = { 0x00, 0x00 }, .le = {}
    };
    const ResponseApdu basic = card.transmit(getData);
    if (!basic.ok()) {
        throw CardError(CardErrorCode::REFUSED,
            "GET DATA of the basic record refused with SW " + toHex({ basic.sw1, basic.sw2 }));
    }
    return parseHealthCardBasicData(basic.data);
}

} // namespace shensu::cardio
