// Hex conversion for byte strings.
#include "cardio/bytes.hpp"

#include <stdexcept>

namespace shensu::cardio
{

namespace
{
    int nibble(char c)
    {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
} // namespace

Bytes fromHex(std::string_view hex)
{
    Bytes out;
    out.reserve(hex.size() / 2);
    int high = -1;
    for (char c : hex) {
        if (c == ' ' || c == ':') {
            if (high >= 0) throw std::invalid_argument("hex: separator inside a byte");
            continue;
        }
        int n = nibble(c);
        if (n < 0) throw std::invalid_argument("hex: not a hex digit");
        if (high < 0) {
            high = n;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | n));
            high = -1;
        }
    }
    if (high >= 0) throw std::invalid_argument("hex: odd number of digits");
    return out;
}

std::string toHex(const Bytes& bytes)
{
    static constexpr char DIGITS[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 3);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) out.push_back(' ');
        out.push_back(DIGITS[bytes[i] >> 4]);
        out.push_back(DIGITS[bytes[i] & 0x0F]);
    }
    return out;
}

} // namespace shensu::cardio
