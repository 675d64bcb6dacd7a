// PC/SC part 10 for PIN-pad readers: the feature list and VERIFY_PIN_DIRECT, as byte layouts
// (PC/SC part 10 v2.02.09 §2.5) and a status-word table.
#include "cardio/pin_pad.hpp"

#include "cardio/errors.hpp"

#include <stdexcept>

namespace shensu::cardio
{

PinPadFeatures parsePinPadFeatures(const Bytes& tlv)
{
    PinPadFeatures features;
    std::size_t at = 0;
    while (at < tlv.size()) {
        if (at + 2 > tlv.size() || tlv[at + 1] != 4 || at + 6 > tlv.size())
            throw CardError(CardErrorCode::UNEXPECTED_RESPONSE, "malformed reader feature list");
        const std::uint8_t tag = tlv[at];
        const std::uint32_t code = (std::uint32_t { tlv[at + 2] } << 24)
            | (std::uint32_t { tlv[at + 3] } << 16) | (std::uint32_t { tlv[at + 4] } << 8)
            | std::uint32_t { tlv[at + 5] };
        if (tag == FEATURE_VERIFY_PIN_DIRECT) features.verifyPinDirect = code;
        if (tag == FEATURE_MODIFY_PIN_DIRECT) features.modifyPinDirect = code;
        at += 6;
    }
    return features;
}

PinPadFeatures readPinPadFeatures(ReaderControl& reader)
{
    Bytes answer;
    try {
        answer = reader.control(CM_IOCTL_GET_FEATURE_REQUEST, {});
    } catch (const CardError& e) {
        // Readers without part 10 refuse the control code: they simply have no PIN pad.
        if (e.code() == CardErrorCode::CARD_REMOVED || e.code() == CardErrorCode::NO_CARD) throw;
        return {};
    }
    return parsePinPadFeatures(answer);
}

Bytes pinVerifyStructure(const PinPadVerify& v)
{
    Bytes s;
    s.push_back(v.timeoutSeconds); // bTimerOut
    s.push_back(v.timeoutSeconds); // bTimerOut2
    s.push_back(v.formatString); // bmFormatString
    s.push_back(v.pinBlockString); // bmPINBlockString
    s.push_back(0x00); // bmPINLengthFormat: no PIN length in the APDU
    s.push_back(v.maxDigits); // wPINMaxExtraDigit, little-endian: max, then min
    s.push_back(v.minDigits);
    s.push_back(0x02); // bEntryValidationCondition: the reader's OK key
    s.push_back(0x01); // bNumberMessage: one message ("enter PIN")
    s.push_back(static_cast<std::uint8_t>(v.languageId & 0xFF)); // wLangId
    s.push_back(static_cast<std::uint8_t>(v.languageId >> 8));
    s.push_back(0x00); // bMsgIndex
    s.insert(s.end(), { 0x00, 0x00, 0x00 }); // bTeoPrologue
    const auto length = static_cast<std::uint32_t>(v.apdu.size()); // ulDataLength
    for (int shift = 0; shift < 32; shift += 8)
        s.push_back(static_cast<std::uint8_t>((length >> shift) & 0xFF));
    s.insert(s.end(), v.apdu.begin(), v.apdu.end());
    return s;
}

CardErrorCode errorCodeOf(PinPadOutcome outcome)
{
    switch (outcome) {
    case PinPadOutcome::TIMEOUT:
        return CardErrorCode::PIN_PAD_TIMEOUT;
    case PinPadOutcome::CANCELLED:
        return CardErrorCode::CANCELLED;
    case PinPadOutcome::WRONG_LENGTH:
        return CardErrorCode::PIN_LEN_RANGE;
    case PinPadOutcome::WRONG_PIN:
        return CardErrorCode::PIN_INCORRECT;
    case PinPadOutcome::BLOCKED:
        return CardErrorCode::PIN_LOCKED;
    case PinPadOutcome::VERIFIED:
        break;
    }
    throw std::invalid_argument("a verified PIN is not an error");
}

PinPadResult pinPadResult(std::uint16_t sw)
{
    if (sw == 0x9000) return { PinPadOutcome::VERIFIED, -1 };
    if (sw == 0x6983 || sw == 0x63C0) return { PinPadOutcome::BLOCKED, 0 };
    if ((sw & 0xFFF0) == 0x63C0) return { PinPadOutcome::WRONG_PIN, sw & 0x0F };
    if (sw == 0x6400) return { PinPadOutcome::TIMEOUT, -1 };
    if (sw == 0x6401) return { PinPadOutcome::CANCELLED, -1 };
    if (sw == 0x6403) return { PinPadOutcome::WRONG_LENGTH, -1 };
    if (sw == 0x6300) return { PinPadOutcome::WRONG_PIN, -1 };
    throw CardError(CardErrorCode::UNEXPECTED_RESPONSE, "unexpected status after a PIN-pad verify");
}

PinPadResult verifyPinOnReader(ReaderControl& reader, std::uint32_t code, const PinPadVerify& v)
{
    const Bytes answer = reader.control(code, pinVerifyStructure(v));
    if (answer.size() < 2)
        throw CardError(CardErrorCode::UNEXPECTED_RESPONSE, "PIN-pad verify: no status word");
    const auto sw
        = static_cast<std::uint16_t>((answer[answer.size() - 2] << 8) | answer[answer.size() - 1]);
    return pinPadResult(sw);
}

} // namespace shensu::cardio
