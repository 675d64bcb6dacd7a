// Adding a character the base atlas lacks (issue #4: ≤ 200 ms): a headless kiosk (software
// renderer) on the form, one new Big5 level-2 character typed at a time. Each is rasterised into
// the uploaded texture's free space (a few ms) or, when that is full, the whole atlas is rebuilt
// (body 24 px with ~6,100 glyphs, title and receipt sizes) and uploaded again; the wall time is
// Shell::lastAtlasRebuildMs(). Also: large text, a 1.5 display scale, and going back to the base
// atlas when the session ends.
// Run: build/bin/bench_atlas_rebuild [ROUNDS]   (prints a Markdown table; never a timed test)
#include "kiosk/app/shell.hpp"
#include "kiosk/core/form.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <iconv.h>
#include <time.h>

using namespace shensu::kiosk;
using namespace shensu::kiosk::app;

namespace
{

// Big5 level 2 (0xC940…): characters outside the base atlas, one per round.
std::vector<std::string> levelTwo(std::size_t count)
{
    std::vector<std::string> out;
    iconv_t cd = iconv_open("UTF-8", "BIG5");
    for (unsigned lead = 0xC9; lead <= 0xF9 && out.size() < count; ++lead) {
        for (unsigned trail = 0x40; trail <= 0xFE && out.size() < count; ++trail) {
            if (trail > 0x7E && trail < 0xA1) continue;
            char in[2] = { static_cast<char>(lead), static_cast<char>(trail) };
            char buf[8];
            char* ip = in;
            char* op = buf;
            std::size_t il = 2;
            std::size_t ol = sizeof buf;
            if (iconv(cd, &ip, &il, &op, &ol) != static_cast<std::size_t>(-1))
                out.emplace_back(buf, static_cast<std::size_t>(op - buf));
            iconv(cd, nullptr, nullptr, nullptr, nullptr);
        }
    }
    iconv_close(cd);
    return out;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

struct Row {
    std::string what;
    std::vector<double> ms; // wall: the rebuild and upload (Shell::lastAtlasRebuildMs)
    std::vector<double> cpu; // CPU of the UI thread for the whole frame that rebuilt
};

double threadCpuMs()
{
    timespec t {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

std::string loadAverage()
{
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

// One kiosk: `rounds` new characters typed one by one into a field, then the session ended.
void measure(const std::string& name, bool large, float scale, int rounds,
    const std::vector<std::string>& chars, std::size_t& next, std::vector<Row>& rows)
{
    State s = initialState(
        std::make_shared<const Form>(loadForm(SHENSU_ASSETS_DIR "/forms/dgpa-complaint.v1.json")),
        "KIOSK-BENCH-01", Language::ZH_TW);
    Catalogue catalogue = Catalogue::load(SHENSU_ASSETS_DIR "/i18n");
    catalogue.loadFormStrings(SHENSU_ASSETS_DIR "/i18n", s.form->id);
    Shell shell(DisplayOptions { .headless = true,
                    .width = static_cast<int>(1280 * scale),
                    .height = static_cast<int>(800 * scale),
                    .scale = scale },
        std::move(catalogue), s);
    shell.frame();
    if (large) {
        shell.dispatch(SetDisplay { true, false });
        shell.frame();
    }
    shell.dispatch(ChooseAnonymous {});
    shell.dispatch(ConfirmAnonymous {});
    shell.frame();
    Row row { name, {}, {} };
    std::string typed;
    for (int i = 0; i < rounds; ++i) {
        typed += chars.at(next++);
        shell.dispatch(EditField { "agency", typed });
        const double c0 = threadCpuMs();
        shell.frame(); // the rebuild happens before this frame is drawn
        row.cpu.push_back(threadCpuMs() - c0);
        row.ms.push_back(shell.lastAtlasRebuildMs());
    }
    rows.push_back(row);
    // A frame with nothing to rebuild, for comparison.
    Row plain { name + ", a frame without rebuild", {}, {} };
    for (int i = 0; i < rounds; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = threadCpuMs();
        shell.frame();
        plain.cpu.push_back(threadCpuMs() - c0);
        plain.ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    rows.push_back(plain);
    // The session ends: back to the base atlas (timed around the frame that does it).
    Row back { name + ", session ends → base atlas (whole frame)", {}, {} };
    shell.dispatch(GoHome {});
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = threadCpuMs();
    shell.frame();
    back.cpu.push_back(threadCpuMs() - c0);
    back.ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    rows.push_back(back);
}

} // namespace

int main(int argc, char** argv)
{
    const int rounds = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
    std::clog.setstate(std::ios::failbit); // the kiosk's own log lines
    const auto chars = levelTwo(static_cast<std::size_t>(rounds) * 3 + 3);
    std::size_t next = 0;
    const std::string loadBefore = loadAverage();
    std::vector<Row> rows;
    measure("normal text, scale 1", false, 1.0f, rounds, chars, next, rows);
    measure("large text, scale 1", true, 1.0f, rounds, chars, next, rows);
    measure("normal text, scale 1.5 (1920x1200)", false, 1.5f, rounds, chars, next, rows);
    std::printf("Atlas rebuild for one new character (rebuild + texture upload), %d rounds each\n"
                "load average before: %s, after: %s (nproc 2 on the test VM)\n\n",
        rounds, loadBefore.c_str(), loadAverage().c_str());
    std::printf("| case | n | wall median ms | wall p90 ms | wall max ms | UI-thread CPU median ms "
                "| frames over 50 ms CPU (whole-atlas rebuilds) | target |\n"
                "|---|---|---|---|---|---|---|---|\n");
    for (const auto& r : rows) {
        const auto rebuilds
            = std::count_if(r.cpu.begin(), r.cpu.end(), [](double c) { return c > 50; });
        std::printf("| %s | %zu | %.0f | %.0f | %.0f | %.0f | %td | ≤ 200 ms |\n", r.what.c_str(),
            r.ms.size(), percentile(r.ms, 0.5), percentile(r.ms, 0.9),
            *std::max_element(r.ms.begin(), r.ms.end()), percentile(r.cpu, 0.5), rebuilds);
    }
    return 0;
}
