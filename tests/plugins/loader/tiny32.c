/* Built with -m32 -nostdlib into bad_32bit.so: a 32-bit shared object.
 * No headers, so no 32-bit libc is needed; the class check comes first. */
int upgrade(void *op);

int upgrade(void *op)
{
    (void)op;
    return 0;
}
