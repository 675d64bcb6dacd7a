// Short APDU encoding and response splitting (ISO 7816-4).
#include "cardio/apdu.hpp"

#include "cardio/errors.hpp"

#include <stdexcept>

namespace shensu::cardio
{

Bytes CommandApdu::encode() const
{
    if (data.size() > 255) throw std::length_error("APDU data longer than 255 bytes (short APDU)");
    if (le && *le > 256) throw std::length_error("APDU Le above 256 (short APDU)");
    Bytes out { cla, ins, p1, p2 };
    if (!data.empty()) {
        out.push_back(static_cast<std::uint8_t>(data.size()));
        out.insert(out.end(), data.begin(), data.end());
    }
    // Le 256 is written as 00, like Le 0 ("as much as you have").
    if (le) out.push_back(static_cast<std::uint8_t>(*le & 0xFF));
    return out;
}

ResponseApdu ResponseApdu::parse(const Bytes& raw)
{
    if (raw.size() < 2) {
        throw CardError(CardErrorCode::UNEXPECTED_RESPONSE,
            "response of " + std::to_string(raw.size()) + " bytes has no status word");
    }
    ResponseApdu r;
    r.data.assign(raw.begin(), raw.end() - 2);
    r.sw1 = raw[raw.size() - 2];
    r.sw2 = raw[raw.size() - 1];
    return r;
}

} // namespace shensu::cardio
