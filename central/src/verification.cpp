// Verification codes: random digits with a Luhn check digit, stored as salted scrypt hashes.
#include "verification.hpp"

#include <network/openssl.hpp>
#include <network/protocol.hpp>

#include <charconv>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace shensu::central
{

namespace ossl = network::openssl;

namespace
{
    constexpr std::size_t SALT_BYTES = 16;
    constexpr std::size_t HASH_BYTES = 32;

    network::Bytes scrypt(std::string_view code, std::span<const unsigned char> salt, ScryptCost c)
    {
        network::Bytes out(HASH_BYTES);
        // maxmem 0 would mean OpenSSL's 32 MiB default; allow what the cost needs (128 * N * r)
        // plus headroom.
        const std::uint64_t maxMem = 128ULL * c.n * c.r * c.p + (1ULL << 20);
        ossl::check(EVP_PBE_scrypt(code.data(), code.size(), salt.data(), salt.size(), c.n, c.r,
                        c.p, maxMem, out.data(), out.size())
                == 1,
            "EVP_PBE_scrypt");
        return out;
    }

    std::vector<std::string_view> split(std::string_view s, char sep)
    {
        std::vector<std::string_view> parts;
        for (std::size_t start = 0;;) {
            const auto end = s.find(sep, start);
            parts.push_back(s.substr(start, end - start));
            if (end == std::string_view::npos) return parts;
            start = end + 1;
        }
    }

    template<typename T> bool number(std::string_view text, T& value)
    {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        return ec == std::errc() && end == text.data() + text.size();
    }

    bool unhex(std::string_view text, network::Bytes& out)
    {
        if (text.size() % 2 != 0) return false;
        out.clear();
        for (std::size_t i = 0; i < text.size(); i += 2) {
            unsigned char byte = 0;
            const auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, byte, 16);
            if (ec != std::errc() || end != text.data() + i + 2) return false;
            out.push_back(byte);
        }
        return true;
    }
} // namespace

std::string newVerificationCode()
{
    std::string digits;
    while (digits.size() < network::protocol::VERIFICATION_CODE_DIGITS - 1) {
        for (unsigned char b : ossl::randomBytes(16)) {
            if (b >= 250) continue; // 250 = 25 * 10: keep the digits uniform
            digits.push_back(static_cast<char>('0' + b % 10));
            if (digits.size() == network::protocol::VERIFICATION_CODE_DIGITS - 1) break;
        }
    }
    digits.push_back(network::protocol::verificationCodeCheckDigit(digits));
    return digits;
}

std::string hashVerificationCode(std::string_view code, ScryptCost cost)
{
    const auto salt = ossl::randomBytes(SALT_BYTES);
    return "scrypt$" + std::to_string(cost.n) + '$' + std::to_string(cost.r) + '$'
        + std::to_string(cost.p) + '$' + ossl::hex(salt) + '$'
        + ossl::hex(scrypt(code, salt, cost));
}

bool verificationCodeMatches(std::string_view code, const std::string& stored)
{
    const auto parts = split(stored, '$');
    ScryptCost cost;
    network::Bytes salt, expected;
    if (parts.size() != 6 || parts[0] != "scrypt" || !number(parts[1], cost.n)
        || !number(parts[2], cost.r) || !number(parts[3], cost.p) || !unhex(parts[4], salt)
        || !unhex(parts[5], expected) || expected.size() != HASH_BYTES)
        return false;
    // A stored value outside what central ever writes (tampered, corrupted) is a mismatch, and
    // cannot make one query take gigabytes: N a power of two up to 2^16 and r up to 8 keep
    // 128 * N * r within 64 MiB; p up to 4.
    if (cost.n < 2 || cost.n > (1ULL << 16) || (cost.n & (cost.n - 1)) != 0 || cost.r == 0
        || cost.r > 8 || cost.p == 0 || cost.p > 4)
        return false;
    network::Bytes actual;
    try {
        actual = scrypt(code, salt, cost);
    } catch (const network::OpenSslError&) {
        return false;
    }
    return CRYPTO_memcmp(actual.data(), expected.data(), HASH_BYTES) == 0;
}

void spendVerificationWork(std::string_view code, ScryptCost cost)
{
    const unsigned char salt[SALT_BYTES] = {};
    (void)scrypt(code, salt, cost);
}

} // namespace shensu::central
