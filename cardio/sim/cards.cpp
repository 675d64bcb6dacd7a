// The simulated NHI health card and its misbehaving variants, a card nobody knows, and makeCard().
#include "citizen_card.hpp"
#include "sim_card.hpp"

#include <algorithm>
#include <array>

namespace shensu::cardsim
{

namespace
{
    Bytes sw(std::uint16_t status)
    {
        return { static_cast<std::uint8_t>(status >> 8), static_cast<std::uint8_t>(status & 0xFF) };
    }

    // Command fields of a short APDU; data is empty unless Lc is present.
    struct Command {
        std::uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
        Bytes data;
    };

    std::optional<Command> split(const Bytes& raw)
    {
        if (raw.size() < 4) return std::nullopt;
        Command c { raw[0], raw[1], raw[2], raw[3], {} };
        if (raw.size() > 5) {
            const std::size_t lc = raw[4];
            if (raw.size() < 5 + lc) return std::nullopt;
            c.data.assign(raw.begin() + 5, raw.begin() + 5 + static_cast<std::ptrdiff_t>(lc));
        }
        return c;
    }

    // A card that knows no application: 6A82 to every SELECT (so middleware does not mistake it for
    // something), 6E00 to proprietary classes, 6D00 to everything else.
    class UnknownCard : public SimCard
    {
    public:
        Bytes atr() const override
        {
            return cardio::fromHex("3B 8A 80 01 53 48 45 4E 53 55 2D 55 4E 4B 60");
        }
        std::optional<Bytes> answer(const Bytes& raw) override
        {
            const auto c = split(raw);
            if (!c) return sw(0x6700);
            if (c->cla != 0x00) return sw(0x6E00);
            if (c->ins == 0xA4) return sw(0x6A82);
            return sw(0x6D00);
        }
    };

    // The synthetic 健保卡 (contract 1): all data invented and clearly fake.
    class HealthCard : public SimCard
    {
    public:
        Bytes atr() const override
        {
            // A real NHI ATR from pcsc-tools' smartcard_list.txt ("THCC10TECOGDHN2"), so the ATR
            // table is exercised.
            return cardio::fromHex(
                "3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 48 4E 32 24");
        }

        std::optional<Bytes> answer(const Bytes& raw) override
        {
            const auto c = split(raw);
            if (!c) return sw(0x6700);
            if (c->cla != 0x00) return sw(0x6E00);
            if (c->ins == 0xA4) {
                // A failed SELECT keeps the current selection, as ISO 7816-4 cards do.
                if (c->p1 != 0x04
                    || !std::equal(c->data.begin(), c->data.end(), NHI_AID.begin(), NHI_AID.end()))
                    return sw(0x6A82);
                selected_ = true;
                return sw(0x9000);
            }
            if (c->ins == 0xCA) {
                if (!selected_) return sw(0x6985);
                if (c->p1 != 0x11 || c->p2 != 0x00) return sw(0x6A88);
                return basicData();
            }
            return sw(0x6D00);
        }

        void reset() override { selected_ = false; }

    protected:
        virtual std::optional<Bytes> basicData()
        {
            Bytes record = basicRecord();
            record.push_back(0x90);
            record.push_back(0x00);
            return record;
        }

        static Bytes basicRecord()
        {
            auto ascii = [](Bytes& out, std::string_view text) {
                out.insert(out.end(), text.begin(), text.end());
            };
            Bytes r;
            ascii(r, "000012345678");
            const Bytes name = { 0xAA, 0x4C, 0xB4, 0xFA, 0xB8, 0xD5 }; // 林測試 in Big5
            r.insert(r.end(), name.begin(), name.end());
            r.resize(32, 0x00); // NUL-padded to 20 bytes
            ascii(r, "Z100000001");
            ascii(r, "0790101"); // ROC 79/01/01
            ascii(r, "M");
            ascii(r, "1100315"); // ROC 110/03/15
            return r;
        }

    private:
        static constexpr std::array<std::uint8_t, 16> NHI_AID { 0xD1, 0x58, 0x00, 0x00, 0x01, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00 };
        bool selected_ = false;
    };

    // Answers the basic-data GET DATA with a cut-off record whose card number is not digits.
    class GarbledHealthCard : public HealthCard
    {
        std::optional<Bytes> basicData() override
        {
            Bytes record = basicRecord();
            record.resize(30);
            std::fill(record.begin(), record.begin() + 4, std::uint8_t { 0xFF });
            record.push_back(0x90);
            record.push_back(0x00);
            return record;
        }
    };

    // Leaves the reader when asked for the basic data, as if pulled out mid-read.
    class PulledHealthCard : public HealthCard
    {
        std::optional<Bytes> basicData() override { return std::nullopt; }
    };
    // The citizen card pulled out in the middle of a command that carries data: it acts on it (a
    // VERIFY compares the PIN and may spend a try) but leaves the reader before it answers.
    class PulledCitizenCard : public CitizenCard
    {
    public:
        explicit PulledCitizenCard(std::uint8_t ins)
            : CitizenCard(3)
            , ins_(ins)
        { }
        std::optional<Bytes> answer(const Bytes& command) override
        {
            auto response = CitizenCard::answer(command);
            if (command.size() > 5 && command[1] == ins_) return std::nullopt;
            return response;
        }

    private:
        std::uint8_t ins_;
    };
} // namespace

std::unique_ptr<SimCard> makeCard(std::string_view kind)
{
    if (kind == "health") return std::make_unique<HealthCard>();
    if (kind == "health-garbled") return std::make_unique<GarbledHealthCard>();
    if (kind == "health-pulled") return std::make_unique<PulledHealthCard>();
    if (kind == "unknown") return std::make_unique<UnknownCard>();
    if (kind == "citizen") return std::make_unique<CitizenCard>(3);
    if (kind == "citizen-1try") return std::make_unique<CitizenCard>(1);
    if (kind == "citizen-blocked") return std::make_unique<CitizenCard>(0);
    if (kind == "citizen-pulled-verify") return std::make_unique<PulledCitizenCard>(0x20);
    if (kind == "citizen-pulled-sign") return std::make_unique<PulledCitizenCard>(0x87);
    if (kind == "citizen-corrupt") return std::make_unique<CitizenCard>(3, "citizen", true);
    // Cards central refuses at login, each with its own key and certificate from the test PKI
    // (scripts/make-test-pki; what central answers for each: central/README.md).
    for (const std::string_view variant :
        { "citizen-expired", "citizen-revoked", "citizen-unknown-person", "citizen-departed",
            "citizen-mismatch", "citizen-encipher" }) {
        if (kind == variant) return std::make_unique<CitizenCard>(3, std::string(variant));
    }
    return nullptr;
}

} // namespace shensu::cardsim
