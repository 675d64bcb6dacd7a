// Zhuyin (注音) input through libchewing, for the on-screen keyboard. The user path is ":memory:":
// libchewing otherwise learns what people type into a plain SQLite file. reset() forgets
// everything (a new context), at the end of every session.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace shensu::kiosk::ui
{

class ZhuyinEngine
{
public:
    ZhuyinEngine(); // throws std::runtime_error when libchewing cannot load its dictionary
    ~ZhuyinEngine();
    ZhuyinEngine(const ZhuyinEngine&) = delete;
    ZhuyinEngine& operator=(const ZhuyinEngine&) = delete;

    // A key of the standard (大千) layout, by its ASCII key: '1' = ㄅ, 'q' = ㄆ, '3' = ˇ …
    // Returns text that left the pre-edit (libchewing commits when its buffer is full).
    std::string key(char dachen);
    std::string firstTone(); // space while a syllable is being composed
    std::string commit(); // the pre-edit as it stands (確定)
    bool backspace(); // false when nothing was being composed
    std::string choose(int index); // a candidate of the phrase before the cursor, then commit

    bool composing() const; // pre-edit or symbols not yet committed
    bool syllablePending() const; // symbols of a syllable typed, its tone not yet
    std::string preedit() const; // converted text + the symbols of the syllable being typed
    const std::vector<std::string>& candidates() const noexcept { return candidates_; }

    void reset(); // a fresh context: no pre-edit, nothing learned

private:
    std::string takeCommit();
    void refreshCandidates();
    struct Context;
    std::unique_ptr<Context> ctx_;
    std::vector<std::string> candidates_;
};

// The 大千 layout: Bopomofo symbol (UTF-8) -> ASCII key, and back; nullptr / 0 when unknown.
char dachenKey(const std::string& symbol) noexcept;
const char* dachenSymbol(char key) noexcept;

} // namespace shensu::kiosk::ui
