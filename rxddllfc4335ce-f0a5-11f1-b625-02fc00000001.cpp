#include <math.h>
/*Some functions supported by numpy that aren't included in math.h
 * names and arguments match the wrappers used in rxdmath.py
 */
extern "C" {
double factorial(const double);
double degrees(const double);
void radians(const double, double*);
double log1p(const double);
double vtrap(const double, const double);
void reaction(double* species_3d, double* params_3d, double* rhs)
{
	rhs[0] = -(((1.0)/(exp((18.0-(species_3d[0]))/(2.5))+1.0)-(0.003018416324708424))*(0.005));
	rhs[1] = ((1.0)/(exp((18.0-(species_3d[0]))/(2.5))+1.0)-(0.003018416324708424))*(0.005);
}
}
