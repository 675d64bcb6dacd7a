// PIN-pad readers (PC/SC part 10): ask the reader which features it has
// (CM_IOCTL_GET_FEATURE_REQUEST), and verify a PIN typed on the reader's own keypad
// (FEATURE_VERIFY_PIN_DIRECT), so the PIN never passes through the kiosk. The seam is ReaderControl
// (SCardControl): CardConnection implements it; tests use a fake, because the virtual reader
// (vpcd) cannot offer these features.
#pragma once

#include "cardio/bytes.hpp"
#include "cardio/errors.hpp"

#include <cstdint>
#include <optional>

namespace shensu::cardio
{

class ReaderControl
{
public:
    virtual ~ReaderControl() = default;
    // SCardControl(code, in) -> out. Throws CardError.
    virtual Bytes control(std::uint32_t code, const Bytes& in) = 0;
};

// SCARD_CTL_CODE(3400) as pcsc-lite defines it (0x42000000 + code).
inline constexpr std::uint32_t CM_IOCTL_GET_FEATURE_REQUEST = 0x42000000u + 3400u;
inline constexpr std::uint8_t FEATURE_VERIFY_PIN_DIRECT = 0x06;
inline constexpr std::uint8_t FEATURE_MODIFY_PIN_DIRECT = 0x07;

struct PinPadFeatures {
    std::optional<std::uint32_t> verifyPinDirect; // the control code to use, when offered
    std::optional<std::uint32_t> modifyPinDirect; // noted only: the kiosk never changes a PIN
};

// Parses the reader's TLV answer (tag 1 byte, length 1 byte = 4, value = control code, big-endian).
// A reader without part 10 (the control call refused) has no features. Throws CardError
// UNEXPECTED_RESPONSE on a malformed list.
PinPadFeatures readPinPadFeatures(ReaderControl& reader);
PinPadFeatures parsePinPadFeatures(const Bytes& tlv);

// What the reader's keypad accepts and how it builds the VERIFY (PIV layout by default: ASCII
// digits, left-justified, padded with FF to 8 bytes, in `00 20 00 80 08 <8 bytes>`).
struct PinPadVerify {
    std::uint8_t timeoutSeconds = 30; // the screen says how long the reader waits
    std::uint8_t minDigits = 6;
    std::uint8_t maxDigits = 8;
    std::uint16_t languageId = 0x0404; // zh-TW for the reader's own messages
    Bytes apdu = fromHex("00 20 00 80 08 FF FF FF FF FF FF FF FF");
    std::uint8_t formatString = 0x82; // bytes, offset 0, left-justified, ASCII
    std::uint8_t pinBlockString = 0x08; // 8-byte PIN block, no length field
};

// PIN_VERIFY_STRUCTURE of PC/SC part 10 (packed, little-endian), ready for SCardControl.
Bytes pinVerifyStructure(const PinPadVerify& verify);

enum class PinPadOutcome {
    VERIFIED, // 90 00
    WRONG_PIN, // 63 Cx: triesLeft = x
    BLOCKED, // 69 83 / 63 C0
    TIMEOUT, // 64 00: nobody typed in time
    CANCELLED, // 64 01: the person pressed cancel on the reader
    WRONG_LENGTH, // 64 03: too few or too many digits
};

struct PinPadResult {
    PinPadOutcome outcome = PinPadOutcome::WRONG_PIN;
    int triesLeft = -1; // for WRONG_PIN, -1 when the card did not say
};

// The card's (or reader's) status word after a keypad verify; throws CardError UNEXPECTED_RESPONSE
// for anything else.
PinPadResult pinPadResult(std::uint16_t statusWord);

// The CardErrorCode of a keypad verify that did not succeed, as the PKCS#11 path reports the same
// cases: TIMEOUT -> PIN_PAD_TIMEOUT, CANCELLED -> CANCELLED, WRONG_LENGTH -> PIN_LEN_RANGE (none of
// the three spent a try), WRONG_PIN -> PIN_INCORRECT, BLOCKED -> PIN_LOCKED. VERIFIED is not an
// error: std::invalid_argument.
CardErrorCode errorCodeOf(PinPadOutcome outcome);
// Sends the verify to the reader (`code` from readPinPadFeatures) and reads the outcome. Blocks
// while the person types (up to the timeout). The kiosk sees no digit.
PinPadResult verifyPinOnReader(ReaderControl& reader, std::uint32_t code, const PinPadVerify& v);

} // namespace shensu::cardio
