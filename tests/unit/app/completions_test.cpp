#include "app/completions.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace rtc::app;
using rtc::app::test::ExampleTool;
using rtc::app::test::have_program;
using rtc::app::test::run_shell;
using rtc::app::test::TempFile;

namespace {

std::vector<std::string> long_flags(const CLI::App& app) {
    std::vector<std::string> out;
    for (const CLI::Option* opt : app.get_options())
        for (const auto& name : opt->get_lnames())
            out.push_back("--" + name);
    return out;
}

} // namespace

TEST_CASE("completions: parse_generate_target") {
    CHECK(parse_generate_target("complete-bash") == Shell::Bash);
    CHECK(parse_generate_target("complete-zsh") == Shell::Zsh);
    CHECK(parse_generate_target("complete-fish") == Shell::Fish);
    CHECK_FALSE(parse_generate_target("bash"));
}

TEST_CASE("completions: every script names every long flag and is deterministic") {
    ExampleTool tool;
    auto flags = long_flags(tool.cli.app());
    CHECK(flags.size() == 17); // 14 shared + 3 of the example tool
    for (Shell shell : {Shell::Bash, Shell::Zsh, Shell::Fish}) {
        std::string script = tool.cli.completion(shell);
        ExampleTool again;
        CHECK(again.cli.completion(shell) == script);
        for (const auto& flag : flags) {
            bool found = shell == Shell::Fish
                             ? script.find("-l " + flag.substr(2) + " ") != std::string::npos ||
                                   script.find("-l " + flag.substr(2) + "\n") != std::string::npos
                             : script.find(flag) != std::string::npos;
            CHECK_MESSAGE(found, flag);
        }
    }
}

TEST_CASE("completions: choices come from hints or from CLI::IsMember") {
    CLI::App app("demo", "rtc-demo");
    std::string color, shape;
    app.add_option("--color", color, "Color")->check(CLI::IsMember({"red", "green"}));
    app.add_option("--shape", shape, "Shape");
    CompletionHints hints;
    hints.choices[app.get_option("--shape")] = {"round", "square"};
    std::string fish = generate_completion(Shell::Fish, app, hints);
    CHECK(fish.find("complete -c rtc-demo -l color -x -a 'red green' -d 'Color'\n") !=
          std::string::npos);
    CHECK(fish.find("complete -c rtc-demo -l shape -x -a 'round square' -d 'Shape'\n") !=
          std::string::npos);
}

TEST_CASE("completions: quotes in descriptions are escaped") {
    CLI::App app("demo", "rtc-demo");
    bool flag = false;
    app.add_flag("--odd", flag, "It's [odd] \\ here");
    CHECK(generate_completion(Shell::Fish, app).find("-d 'It\\'s [odd] \\\\ here'") !=
          std::string::npos);
    CHECK(generate_completion(Shell::Zsh, app).find("'--odd[It'\\''s \\[odd\\] \\\\ here]'") !=
          std::string::npos);
}

TEST_CASE("completions: bash script loads and completes") {
    ExampleTool tool;
    TempFile script(tool.cli.completion(Shell::Bash), ".bash");
    auto registered = run_shell("timeout 20 bash -c 'source " + script.path() +
                                " && complete -p rtc-example' 2>&1");
    CHECK(registered.status == 0);
    CHECK(registered.output == "complete -F _rtc_example rtc-example\n");
    auto values = run_shell("timeout 20 bash -c 'source " + script.path() +
                            "; COMP_WORDS=(rtc-example --log-level d); COMP_CWORD=2; "
                            "_rtc_example; echo \"${COMPREPLY[*]}\"; "
                            "COMP_WORDS=(rtc-example --log-format = j); COMP_CWORD=3; "
                            "_rtc_example; echo \"${COMPREPLY[*]}\"; "
                            "COMP_WORDS=(rtc-example --thr); COMP_CWORD=1; "
                            "_rtc_example; echo \"${COMPREPLY[*]}\"' 2>&1");
    CHECK(values.status == 0);
    CHECK(values.output == "debug\njson\n--threads\n");
}

TEST_CASE("completions: zsh script parses and registers with compdef") {
    if (!have_program("zsh")) {
        WARN_MESSAGE(false, "zsh not installed: skipped (apt-get install zsh)");
        return;
    }
    ExampleTool tool;
    TempFile script(tool.cli.completion(Shell::Zsh), ".zsh");
    CHECK(run_shell("timeout 20 zsh -n " + script.path() + " 2>&1").status == 0);
    auto registered = run_shell("timeout 20 zsh -f -c 'autoload -U compinit && compinit -u -D "
                                "&& source " +
                                script.path() + " && print -r -- $_comps[rtc-example]' 2>&1");
    CHECK(registered.status == 0);
    CHECK(registered.output == "_rtc_example\n");
}

TEST_CASE("completions: zsh completes values in an interactive shell") {
    if (!have_program("zsh")) {
        WARN_MESSAGE(false, "zsh not installed: skipped (apt-get install zsh)");
        return;
    }
    ExampleTool tool;
    TempFile script(tool.cli.completion(Shell::Zsh), ".zsh");
    // Drive an interactive zsh through zpty: type the command and a TAB, then read until the
    // listing shows; `timeout` bounds the blocking read.
    TempFile driver("zmodload zsh/zpty\n"
                    "zpty z zsh -f -i\n"
                    "zpty -w z 'PS1=; autoload -U compinit; compinit -u -D; source " +
                        script.path() +
                        "'\n"
                        "zpty -w -n z $'rtc-example --log-level \\t\\t'\n"
                        "zpty -r z out '*trace*warn*'\n"
                        "print -r -- \"$out\"\n"
                        "zpty -d z\n",
                    ".zsh");
    auto r = run_shell("timeout 20 zsh -f " + driver.path() + " 2>&1");
    CHECK(r.status == 0);
    for (const char* level : {"debug", "error", "info", "off", "trace", "warn"})
        CHECK_MESSAGE(r.output.find(level) != std::string::npos, level);
}

TEST_CASE("completions: fish script parses and completes") {
    if (!have_program("fish")) {
        WARN_MESSAGE(false, "fish not installed: skipped (apt-get install fish)");
        return;
    }
    ExampleTool tool;
    TempFile script(tool.cli.completion(Shell::Fish), ".fish");
    CHECK(run_shell("timeout 20 fish -n " + script.path() + " 2>&1").status == 0);
    auto r = run_shell("timeout 20 fish -c 'source " + script.path() +
                       "; complete -C \"rtc-example --log-format \"; "
                       "complete -C \"rtc-example --print-c\"' 2>&1");
    CHECK(r.status == 0);
    CHECK(r.output == "json\tLog line format\ntext\tLog line format\n"
                      "--print-config\tPrint the effective configuration in --config format "
                      "and exit\n");
}
