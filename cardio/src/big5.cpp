// Big5 → UTF-8 with iconv: an RAII iconv_t and a converter that reports invalid input instead of
// guessing.
#include "big5.hpp"

#include "cardio/errors.hpp"

#include <vector>

#include <iconv.h>

namespace shensu::cardio::detail
{

namespace
{
    class IconvDescriptor
    {
    public:
        IconvDescriptor(const char* to, const char* from)
            : cd_(iconv_open(to, from))
        { }
        ~IconvDescriptor()
        {
            if (valid()) iconv_close(cd_);
        }
        IconvDescriptor(const IconvDescriptor&) = delete;
        IconvDescriptor& operator=(const IconvDescriptor&) = delete;

        // iconv_open's documented failure value is (iconv_t)-1.
        bool valid() const noexcept
        {
            return cd_ != reinterpret_cast<iconv_t>(-1); // NOLINT(performance-no-int-to-ptr)
        }

        std::optional<std::string> convert(std::string_view in)
        {
            std::vector<char> input(in.begin(), in.end());
            std::string out(in.size() * 4 + 4, '\0'); // a Big5 pair is at most 4 UTF-8 bytes
            char* inPtr = input.data();
            std::size_t inLeft = input.size();
            char* outPtr = out.data();
            std::size_t outLeft = out.size();
            if (iconv(cd_, &inPtr, &inLeft, &outPtr, &outLeft) == static_cast<std::size_t>(-1))
                return std::nullopt;
            // Flush: an incomplete trailing lead byte shows up here on some iconv implementations.
            if (iconv(cd_, nullptr, nullptr, &outPtr, &outLeft) == static_cast<std::size_t>(-1))
                return std::nullopt;
            out.resize(out.size() - outLeft);
            return out;
        }

    private:
        iconv_t cd_;
    };
} // namespace

std::optional<std::string> big5ToUtf8(std::string_view big5)
{
    bool anyConverter = false;
    for (const char* encoding : { "BIG5-HKSCS", "CP950" }) {
        IconvDescriptor cd("UTF-8", encoding);
        if (!cd.valid()) continue;
        anyConverter = true;
        if (auto text = cd.convert(big5)) return text;
    }
    if (!anyConverter)
        throw CardError(CardErrorCode::INTERNAL, "iconv knows neither BIG5-HKSCS nor CP950");
    return std::nullopt;
}

} // namespace shensu::cardio::detail
