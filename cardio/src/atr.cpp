// The ATR table: which card is in the reader, judged by its Answer To Reset (exact or masked
// entries).
#include "cardio/atr.hpp"

#include <algorithm>
#include <array>

namespace shensu::cardio
{

namespace
{
    struct AtrEntry {
        std::string_view pattern; // hex
        std::string_view mask; // hex, same length; empty = exact match. A 00 nibble/bit in the mask
                               // ignores that bit.
        CardKind kind;
        std::string_view source; // where the ATR comes from, for the reader of this table
    };

    // Sources: pcsc-tools smartcard_list.txt (LudovicRousseau/pcsc-tools @3e819c6), ARCHITECTURE
    // §4, research/piv-sim.md. An ATR only says what the card claims to be; readHealthCard still
    // checks that the NHI application answers.
    constexpr std::array ATR_TABLE {
        // 自然人憑證 (MOICA)
        AtrEntry { "3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5", "", CardKind::CITIZEN_CARD,
            "MOICA contact, historical bytes \"RCHTMOICA\"" },
        AtrEntry { "3B 8B 80 01 00 31 C1 64 08 40 21 30 00 90 00 57", "", CardKind::CITIZEN_CARD,
            "MOICA read contactless (PC/SC-built ATR)" },
        AtrEntry { "3B D8 96 00 81 B1 FE 45 1F 07 43 48 54 47 50 4B 49 4A DD", "",
            CardKind::CITIZEN_CARD,
            "Citizen Digital Certificate, Taiwan (historical bytes \"CHTGPKIJ\")" },
        // The simulator's PIV stand-in for a citizen card: historical bytes 80 F9 + the PIV AID
        // (OpenSC PIV_II_HIST).
        AtrEntry { "3B 8B 80 01 80 F9 A0 00 00 03 08 00 00 10 00 C8", "", CardKind::CITIZEN_CARD,
            "simulated citizen card (PIV, research/piv-sim.md)" },

        // 健保卡 (NHI); several chip generations.
        AtrEntry { "3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 00 4E 00 00",
            "FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF 00 FF 00 00",
            CardKind::HEALTH_CARD,
            "NHI \"THCC10TECOGD?N?\" family (…48 4E 32 24 and …49 4E 31 26 listed); also the "
            "simulator's ATR" },
        AtrEntry { "3B EE 00 00 81 31 FE 45 80 31 80 66 40 90 93 06 0F 17 83 0F 90 00 F3", "",
            CardKind::HEALTH_CARD, "IC card for the National Health Insurance, Taiwan" },
        AtrEntry { "3B FA 18 00 00 81 31 FE 45 53 4C 4A 35 32 47 78 78 79 79 FC", "",
            CardKind::HEALTH_CARD, "National Health Insurance of Taiwan (\"SLJ52Gxxyy\")" },
        AtrEntry { "3B FD 18 00 00 81 31 FE 45 53 4C 4A 35 32 47 78 78 79 79 79 7A 52 AA", "",
            CardKind::HEALTH_CARD, "National Health Insurance card issued by the NHIA" },
        AtrEntry { "3B FC 18 00 00 81 31 FE 45 80 73 C8 21 13 66 02 04 03 55 00 02 D2", "",
            CardKind::HEALTH_CARD, "National Health Insurance Card, Taiwan" },
        AtrEntry { "3B FD 13 00 00 81 31 FE 45 4A 43 4F 50 32 31 76 32 33 31 47 44 54 E1", "",
            CardKind::HEALTH_CARD, "National Health Insurance Card, Taiwan (\"JCOP21v231GDT\")" },
        // Listed for NHI but the historical bytes ("PVJCOP4SID") are a stock NXP JCOP4 ATR, so
        // other cards share it.
        AtrEntry { "3B FA 18 00 00 81 31 FE 45 50 56 4A 43 4F 50 34 53 49 44 93", "",
            CardKind::HEALTH_CARD, "National Health Insurance (Taiwan), generic JCOP4" },
    };

    bool matches(const AtrEntry& entry, const Bytes& atr)
    {
        const Bytes pattern = fromHex(entry.pattern);
        if (pattern.size() != atr.size()) return false;
        const Bytes mask = entry.mask.empty() ? Bytes(pattern.size(), 0xFF) : fromHex(entry.mask);
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if ((atr[i] & mask[i]) != (pattern[i] & mask[i])) return false;
        }
        return true;
    }
} // namespace

const char* toString(CardKind kind) noexcept
{
    switch (kind) {
    case CardKind::HEALTH_CARD:
        return "HEALTH_CARD";
    case CardKind::CITIZEN_CARD:
        return "CITIZEN_CARD";
    case CardKind::UNKNOWN:
        return "UNKNOWN";
    }
    return "?";
}

CardKind identifyCard(const Bytes& atr)
{
    const auto* entry = std::find_if(
        ATR_TABLE.begin(), ATR_TABLE.end(), [&atr](const AtrEntry& e) { return matches(e, atr); });
    return entry == ATR_TABLE.end() ? CardKind::UNKNOWN : entry->kind;
}

} // namespace shensu::cardio
