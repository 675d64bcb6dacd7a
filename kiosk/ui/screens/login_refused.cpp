// Login refused: central (or the kiosk) could not accept the citizen-certificate login; each
// reason has its own message.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawLoginRefused(Frame& f)
{
    title(f, f.tr("login_refused.title"));
    errorText(f.tr(f.state.loginRefusalKey.empty() ? std::string("login_refused.failed")
                                                   : f.state.loginRefusalKey));
    beginFooter();
    if (primaryButton(f, "login_refused.home", f.tr("common.home"), { -1, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
