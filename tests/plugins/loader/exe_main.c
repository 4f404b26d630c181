/* Makes good_base.c an executable: bad_executable.so is ET_EXEC. */
int main(void);

int main(void)
{
    return 0;
}
