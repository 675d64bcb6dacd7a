// The NHI health card (健保卡) read over its public APDUs: identifies a person, proves nothing.
#pragma once

#include "cardio/bytes.hpp"

#include <string>

namespace shensu::cardio
{

class CardTransport;

// A date in the ROC calendar as printed on the card (民國 year); gregorianYear() = rocYear + 1911.
struct RocDate {
    int rocYear = 0;
    int month = 0;
    int day = 0;
    int gregorianYear() const noexcept { return rocYear + 1911; }
    bool operator==(const RocDate&) const = default;
};

struct HealthCardData {
    std::string cardNumber; // 卡號, 12 digits
    std::string name; // 姓名, UTF-8 (converted from Big5)
    std::string idNumber; // 身分證號, 10 characters
    RocDate birthDate; // 出生日期
    char sex = '?'; // 'M' or 'F'
    RocDate issueDate; // 發卡日期
};

// Parses the 57-byte basic-data record (ARCHITECTURE §4; bytes past 57 are ignored); throws
// CardError(UNEXPECTED_RESPONSE) naming the bad field, never its value.
HealthCardData parseHealthCardBasicData(const Bytes& record);

// SELECTs the NHI application and reads the basic data; throws CardError (REFUSED when the card
// answers either command with an error status word).
HealthCardData readHealthCard(CardTransport& card);

} // namespace shensu::cardio
