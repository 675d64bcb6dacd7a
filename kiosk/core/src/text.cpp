// UTF-8 counting for the form's limits and counter.
#include "kiosk/core/text.hpp"

namespace shensu::kiosk
{

std::size_t codePoints(std::string_view utf8) noexcept
{
    std::size_t count = 0;
    for (const char c : utf8) {
        // Continuation bytes are 10xxxxxx; every other byte starts a code point.
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++count;
    }
    return count;
}

bool isBlank(std::string_view utf8) noexcept
{
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else if (utf8.substr(i, 3) == "\xE3\x80\x80") { // U+3000 ideographic space
            i += 3;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace shensu::kiosk
