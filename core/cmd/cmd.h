/* cmd.h - the subcommands; each returns the process's exit status. */
#ifndef JADE_CMD_H
#define JADE_CMD_H

/* Exit statuses (SPEC §7). */
enum { JADE_EXIT_OK = 0, JADE_EXIT_FAILED = 1, JADE_EXIT_USAGE = 2 };

int jade_cmd_validate(int argc, char **argv);
int jade_cmd_plan(int argc, char **argv);
int jade_cmd_plugins(int argc, char **argv);
int jade_cmd_run(int argc, char **argv);
int jade_cmd_history(int argc, char **argv);
int jade_cmd_report(int argc, char **argv);
int jade_cmd_status(int argc, char **argv);
int jade_cmd_halt(int argc, char **argv);
int jade_cmd_resume(int argc, char **argv);
int jade_cmd_demo(int argc, char **argv);

#endif
