// UTF-8 helpers the form needs: counting what a person sees as characters (code points), not bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shensu::kiosk
{

// Number of Unicode code points in well-formed UTF-8 (continuation bytes are not counted).
std::size_t codePoints(std::string_view utf8) noexcept;

// True when the text is empty or only ASCII/ideographic whitespace.
bool isBlank(std::string_view utf8) noexcept;

} // namespace shensu::kiosk
