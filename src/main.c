/* main.c - placeholder until the module lands */
#include <config.h>
int main(void){return 0;}
