// The simulated citizen card (自然人憑證 stand-in): a PIV card (NIST SP 800-73-4) that stock OpenSC
// drives, with the subset measured in /work/shared/research/piv-sim.md and ARCHITECTURE §7.
#include "citizen_card.hpp"

#include "citizen_pki.hpp"

#include <algorithm>
#include <array>

#include <openssl/evp.h>
#include <openssl/rsa.h>

namespace shensu::cardsim
{

namespace
{
    using cardio::fromHex;

    constexpr std::array<std::uint8_t, 11> PIV_AID { 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10,
        0x00, 0x01, 0x00 };
    constexpr std::uint8_t MAX_TRIES = 3;
    constexpr std::string_view PIN = "123456";

    Bytes sw(std::uint16_t status)
    {
        return { static_cast<std::uint8_t>(status >> 8), static_cast<std::uint8_t>(status & 0xFF) };
    }

    void append(Bytes& out, const Bytes& more)
    {
        out.insert(out.end(), more.begin(), more.end());
    }

    // BER-TLV with a definite length (short, 81 or 82 form).
    Bytes tlv(const Bytes& tag, const Bytes& value)
    {
        Bytes out = tag;
        const std::size_t n = value.size();
        if (n < 0x80) {
            out.push_back(static_cast<std::uint8_t>(n));
        } else if (n < 0x100) {
            out.insert(out.end(), { 0x81, static_cast<std::uint8_t>(n) });
        } else {
            out.insert(out.end(),
                { 0x82, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n) });
        }
        append(out, value);
        return out;
    }

    // Reads one TLV with a one-byte tag at `at`; advances `at`; nullopt when malformed.
    std::optional<std::pair<std::uint8_t, Bytes>> readTlv(const Bytes& in, std::size_t& at)
    {
        if (at + 2 > in.size()) return std::nullopt;
        const std::uint8_t tag = in[at++];
        std::size_t length = in[at++];
        if (length == 0x81 || length == 0x82) {
            const std::size_t bytes = length - 0x80;
            if (at + bytes > in.size()) return std::nullopt;
            length = 0;
            for (std::size_t i = 0; i < bytes; ++i)
                length = (length << 8) | in[at++];
        } else if (length > 0x80) {
            return std::nullopt;
        }
        if (at + length > in.size()) return std::nullopt;
        Bytes value(in.begin() + static_cast<std::ptrdiff_t>(at),
            in.begin() + static_cast<std::ptrdiff_t>(at + length));
        at += length;
        return std::pair { tag, std::move(value) };
    }

    // A short APDU's fields: cases 1–4 (no extended lengths).
    struct Command {
        std::uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
        Bytes data;
        std::size_t le = 0; // 0 = no Le; Le byte 00 = 256
    };

    std::optional<Command> split(const Bytes& raw)
    {
        if (raw.size() < 4) return std::nullopt;
        Command c { raw[0], raw[1], raw[2], raw[3], {}, 0 };
        if (raw.size() == 4) return c;
        if (raw.size() == 5) {
            c.le = raw[4] == 0 ? 256 : raw[4];
            return c;
        }
        const std::size_t lc = raw[4];
        if (lc == 0 || (raw.size() != 5 + lc && raw.size() != 6 + lc)) return std::nullopt;
        c.data.assign(raw.begin() + 5, raw.begin() + 5 + static_cast<std::ptrdiff_t>(lc));
        if (raw.size() == 6 + lc) c.le = raw.back() == 0 ? 256 : raw.back();
        return c;
    }

    // The PIV data objects this card holds, by tag.
    Bytes discoveryObject()
    {
        Bytes aid(PIV_AID.begin(), PIV_AID.end());
        Bytes body = tlv({ 0x4F }, aid);
        append(body, tlv({ 0x5F, 0x2F }, { 0x40, 0x00 })); // PIN usage policy: the PIV PIN
        return tlv({ 0x7E }, body);
    }

    Bytes cardCapabilityContainer()
    {
        // Card identifier F0: GSC-IS RID A0 00 00 01 16, manufacturer FF, type 02, 14 bytes ID; no
        // CAC RID anywhere (OpenSC would take the card for a dual CAC).
        Bytes body = tlv(
            { 0xF0 }, fromHex("A0 00 00 01 16 FF 02 53 48 45 4E 53 55 2D 43 43 43 2D 30 30 31"));
        append(body,
            fromHex("F1 01 21 F2 01 21 F3 00 F4 01 00 F5 01 10 F6 00 F7 00 FA 00 FB 00 "
                    "FC 00 FD 00 FE 00"));
        return tlv({ 0x53 }, body);
    }

    // serialTail: the GUID's last byte, so that cards made from other credentials have other token
    // serials (0x80 for "citizen": serial 0000001123456780).
    Bytes cardholderUniqueId(std::uint8_t serialTail)
    {
        // FASC-N with agency code 9999 (so OpenSC takes the GUID as the token serial), a synthetic
        // GUID, expiry 2030-12-31, empty signature and error detection code.
        Bytes body = tlv({ 0x30 },
            fromHex("D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB"));
        Bytes guid = fromHex("53 48 45 4E 53 55 00 00 00 00 00 11 23 45 67 80");
        guid.back() = serialTail;
        append(body, tlv({ 0x34 }, guid));
        append(body, tlv({ 0x35 }, { '2', '0', '3', '0', '1', '2', '3', '1' }));
        append(body, fromHex("3E 00 FE 00"));
        return tlv({ 0x53 }, body);
    }

    Bytes authenticationCertificate(const Bytes& der)
    {
        Bytes body = tlv({ 0x70 }, der);
        append(body, fromHex("71 01 00 FE 00")); // CertInfo: not compressed; no error detection
        return tlv({ 0x53 }, body);
    }

    Bytes applicationPropertyTemplate()
    {
        Bytes body = tlv({ 0x4F }, fromHex("00 00 10 00 01 00"));
        append(body, tlv({ 0x79 }, tlv({ 0x4F }, fromHex("A0 00 00 03 08"))));
        const std::string label = "Shensu sim PIV";
        append(body, tlv({ 0x50 }, Bytes(label.begin(), label.end())));
        append(body, tlv({ 0xAC }, fromHex("80 01 07 06 01 00"))); // RSA-2048
        return tlv({ 0x61 }, body);
    }
} // namespace

CitizenCard::CitizenCard(
    std::uint8_t triesLeft, const std::string& credentials, bool corruptCertificate)
    : credentials_(citizenCredentials(credentials))
    , certificate_(credentials_->certificate)
    , triesLeft_(triesLeft)
{
    if (credentials != "citizen") {
        unsigned sum = 0;
        for (const char c : credentials)
            sum += static_cast<unsigned char>(c);
        serialTail_ = static_cast<std::uint8_t>(0x81 + sum % 0x7F);
    }
    if (corruptCertificate) {
        // Keep the outer SEQUENCE header (so the object's length adds up) and overwrite the start
        // of tbsCertificate: its tag and length, version and serial become 0xFF bytes.
        std::fill(certificate_.begin() + 4, certificate_.begin() + 24, std::uint8_t { 0xFF });
    }
}

Bytes CitizenCard::atr() const
{
    // Historical bytes 80 F9 + the PIV AID: OpenSC's PIV_II_HIST type, with no quirks.
    return fromHex("3B 8B 80 01 80 F9 A0 00 00 03 08 00 00 10 00 C8");
}

void CitizenCard::reset()
{
    selected_ = false;
    verified_ = false;
    pending_.clear();
    chain_.clear();
}

std::optional<Bytes> CitizenCard::answer(const Bytes& raw)
{
    lastWasVerify_ = false;
    spent_ = false;
    withPin_ = false;
    const auto c = split(raw);
    if (!c) return sw(0x6700);
    const bool chained = c->cla == 0x10 && c->ins == 0x87;
    if (c->cla != 0x00 && !chained) return sw(0x6E00);
    if (c->ins != 0xC0) pending_.clear();
    if (c->ins != 0x87) chain_.clear();

    switch (c->ins) {
    case 0xA4:
        return select(c->p1, c->data);
    case 0xC0:
        return getResponse(c->le);
    case 0xCB:
        if (!selected_) return sw(0x6A82);
        return getData(c->p1, c->p2, c->data, c->le);
    case 0x20:
        lastWasVerify_ = true;
        withPin_ = !c->data.empty();
        return verify(c->p1, c->p2, c->data);
    case 0x87:
        if (!selected_) return sw(0x6985);
        if (c->p1 != 0x07 || c->p2 != 0x9A) return sw(0x6A86);
        append(chain_, c->data);
        if (chained) return sw(0x9000);
        return generalAuthenticate(c->le);
    default:
        return sw(0x6D00);
    }
}

LogEntry CitizenCard::logEntry(const Bytes& command) const
{
    if (!lastWasVerify_) return { command, {} };
    // The PIN never reaches the log: its bytes are logged as 2A ('*').
    Bytes masked = command;
    if (masked.size() > 5) std::fill(masked.begin() + 5, masked.end(), std::uint8_t { 0x2A });
    return { masked,
        std::string(R"(,"ins":"VERIFY","spending":)") + (spent_ ? "true" : "false")
            + R"(,"withPin":)" + (withPin_ ? "true" : "false") };
}

Bytes CitizenCard::select(std::uint8_t p1, const Bytes& aid)
{
    // OpenSC selects with the AID cut to 9 bytes: match any prefix of the PIV AID from its RID on.
    // A failed SELECT keeps the current selection.
    if (p1 != 0x04 || aid.size() < 5 || aid.size() > PIV_AID.size()
        || !std::equal(aid.begin(), aid.end(), PIV_AID.begin())) {
        return sw(0x6A82);
    }
    selected_ = true;
    return withSw(applicationPropertyTemplate(), 256);
}

Bytes CitizenCard::getData(std::uint8_t p1, std::uint8_t p2, const Bytes& data, std::size_t le)
{
    if (p1 != 0x3F || p2 != 0xFF) return sw(0x6A86);
    std::size_t at = 0;
    const auto tag = readTlv(data, at);
    if (!tag || tag->first != 0x5C || at != data.size()) return sw(0x6A80);
    const std::string id = cardio::toHex(tag->second);
    if (id == "7E") return withSw(discoveryObject(), le);
    if (id == "5F C1 07") return withSw(cardCapabilityContainer(), le);
    if (id == "5F C1 02") return withSw(cardholderUniqueId(serialTail_), le);
    if (id == "5F C1 05") return withSw(authenticationCertificate(certificate_), le);
    return sw(0x6A82);
}

Bytes CitizenCard::verify(std::uint8_t p1, std::uint8_t p2, const Bytes& data)
{
    if (p2 != 0x80) return sw(0x6A88);
    if (p1 == 0xFF) { // reset the security status
        verified_ = false;
        return sw(0x9000);
    }
    if (p1 != 0x00) return sw(0x6A86);
    if (triesLeft_ == 0) return sw(0x6983); // blocked: no PIN is even compared
    if (data.empty()) return verified_ ? sw(0x9000) : sw(0x63C0 | triesLeft_);
    if (data.size() != 8) return sw(0x6700);

    spent_ = true;
    Bytes expected(PIN.begin(), PIN.end());
    expected.resize(8, 0xFF);
    if (data == expected) {
        triesLeft_ = MAX_TRIES;
        verified_ = true;
        return sw(0x9000);
    }
    verified_ = false;
    --triesLeft_;
    return triesLeft_ == 0 ? sw(0x6983) : sw(0x63C0 | triesLeft_);
}

Bytes CitizenCard::generalAuthenticate(std::size_t le)
{
    const Bytes request = std::move(chain_);
    chain_.clear();
    if (!verified_) return sw(0x6982);
    // 7C { 82 00 (asks for the response), 81 <challenge> }
    std::size_t at = 0;
    const auto outer = readTlv(request, at);
    if (!outer || outer->first != 0x7C) return sw(0x6A80);
    std::optional<Bytes> challenge;
    bool wantsResponse = false;
    for (std::size_t inner = 0; inner < outer->second.size();) {
        const auto item = readTlv(outer->second, inner);
        if (!item) return sw(0x6A80);
        if (item->first == 0x82 && item->second.empty()) wantsResponse = true;
        if (item->first == 0x81) challenge = item->second;
    }
    if (!wantsResponse || !challenge || challenge->size() != 256) return sw(0x6A80);

    // Raw RSA: OpenSC has already padded (PKCS#1 v1.5 with the DigestInfo).
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new(credentials_->key.get(), nullptr), EVP_PKEY_CTX_free);
    Bytes signature(256);
    std::size_t length = signature.size();
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0
        || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) <= 0
        || EVP_PKEY_sign(ctx.get(), signature.data(), &length, challenge->data(), challenge->size())
            <= 0
        || length != 256) {
        return sw(0x6A80);
    }
    return withSw(tlv({ 0x7C }, tlv({ 0x82 }, signature)), le == 0 ? 256 : le);
}

Bytes CitizenCard::withSw(const Bytes& object, std::size_t le)
{
    const std::size_t limit = le == 0 ? 256 : le;
    if (object.size() <= limit) {
        Bytes out = object;
        append(out, sw(0x9000));
        return out;
    }
    Bytes out(object.begin(), object.begin() + static_cast<std::ptrdiff_t>(limit));
    pending_.assign(object.begin() + static_cast<std::ptrdiff_t>(limit), object.end());
    const std::size_t left = pending_.size(); // 61 00: 256 bytes or more are waiting
    append(out, sw(static_cast<std::uint16_t>(0x6100 | (left >= 256 ? 0 : left))));
    return out;
}

Bytes CitizenCard::getResponse(std::size_t le)
{
    if (pending_.empty()) return sw(0x6985);
    const Bytes rest = std::move(pending_);
    pending_.clear();
    return withSw(rest, le);
}

} // namespace shensu::cardsim
